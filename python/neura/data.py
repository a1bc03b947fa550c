"""neura.data: datasets and the DataLoader, as torch.utils.data. The built-in datasets are the engine's
(the ones the studio offers: spiral, moons, iris, digits, text, ...): neura.data.load("spiral", n=400)."""
import neura
from neura import _C


def datasets():
    """The built-in datasets: {name: (description, task, {parameter: (default, help)})}."""
    return {name: (desc, task, params) for name, desc, task, params in _C.dataset_names()}


def load(name, **params):
    """A built-in dataset by name with its parameters (as strings or numbers), e.g. load("spiral", n=400).
    Items are (features, target) tensors; features float32, targets int64 class indices or float32 values."""
    return _C.load_dataset(name, {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()})


class Dataset:
    """Base class for datasets written in Python: __len__ and __getitem__."""

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are the i-th rows of the given tensors, as torch.utils.data.TensorDataset."""

    def __init__(self, *tensors):
        if not tensors or any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise ValueError("TensorDataset: tensors of different first sizes %s" % [t.shape[0] for t in tensors])
        self.tensors = tensors

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)


def default_collate(samples):
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return type(first)(default_collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, neura.Tensor):
        return neura.stack(list(samples), 0)
    return neura.tensor(samples)


class DataLoader:
    """Batches of a dataset, optionally shuffled (a fixed seed and the epoch decide the order, so a run
    repeats). Built-in datasets are batched by the engine (num_workers threads prepare batches ahead);
    Python datasets with default_collate or collate_fn."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=0, num_workers=0,
                 collate_fn=None):
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.seed, self.collate_fn = seed, collate_fn or default_collate
        self._epoch = 0
        self._native = (_C.DataLoader(dataset, batch_size, shuffle, seed, drop_last, num_workers)
                        if isinstance(dataset, _C.Dataset) and collate_fn is None else None)

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch):
        self._epoch = epoch
        if self._native is not None:
            self._native.set_epoch(epoch)

    def __iter__(self):
        if self._native is not None:
            self._native.reset()
            while True:
                b = self._native.next()
                if b is None:
                    return
                yield b
        n = len(self.dataset)
        if self.shuffle:
            import numpy as np
            order = np.random.default_rng([self.seed, self._epoch]).permutation(n).tolist()
        else:
            order = list(range(n))
        self._epoch += 1
        for s in range(0, n, self.batch_size):
            idx = order[s:s + self.batch_size]
            if self.drop_last and len(idx) < self.batch_size:
                return
            yield self.collate_fn([self.dataset[i] for i in idx])
