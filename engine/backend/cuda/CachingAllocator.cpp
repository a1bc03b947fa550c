// The caching device allocator (PyTorch's idea, simplified): sizes are rounded to size classes (four per
// power of two, so at most 25% is wasted), and a freed block goes to the free list of its class and of
// the stream it was allocated on. An allocation on that stream takes a block of its class from the list
// before it calls cudaMalloc, so a training step, which allocates the same sizes every time, stops
// calling cudaMalloc after the first steps. Work queued on one stream runs in order, so a block freed
// while kernels that use it are still queued is safe to hand out again on the same stream. When a
// stream ends (StreamScope), it is synchronized first and its cached blocks join the default stream's
// lists, which every stream may draw from (so a second training run reuses the first one's memory).
// Blocks are never split or merged; on out-of-memory the cache is emptied and cudaMalloc retried.
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

#include "backend/cuda/Runtime.h"
#include "neura/core/Error.h"

namespace neura::cuda {
namespace {

constexpr std::size_t kMinBlock = 512;

std::size_t size_class(std::size_t n) {
    if (n <= kMinBlock) return kMinBlock;
    int e = 63 - __builtin_clzll(static_cast<unsigned long long>(n));  // 2^e <= n < 2^(e+1)
    const std::size_t step = std::size_t{1} << (e - 2);
    return (n + step - 1) / step * step;
}

struct Block {
    std::size_t size = 0;          // its size class
    cudaStream_t stream = nullptr;
    int device = 0;
};

struct DevicePool {
    std::map<cudaStream_t, std::unordered_map<std::size_t, std::vector<void*>>> free;  // stream -> class -> blocks
    std::set<cudaStream_t> dead_streams;  // ended StreamScopes whose handles may still tag live blocks
    AllocatorStats stats;
    std::size_t cached_bytes = 0;
};

class CachingAllocator final : public Allocator {
public:
    void* allocate(std::size_t nbytes, Device device) override {
        check_device(device);  // "device cuda:0 is not available: <why>", even for an empty tensor
        if (nbytes == 0) return nullptr;
        const int dev = device.index;
        const std::size_t size = size_class(nbytes);
        const cudaStream_t stream = current_stream(dev);
        std::lock_guard lock(mutex_);
        DevicePool& pool = pools_[dev];
        pool.dead_streams.erase(stream);  // a handle value the driver handed out again
        void* p = take(pool, stream, size);
        // The default stream's blocks serve any stream: our streams are blocking ones, and work on a
        // blocking stream waits for the work queued before it on the legacy default stream.
        if (!p && stream) p = take(pool, nullptr, size);
        if (!p) p = device_malloc(pool, dev, size, nbytes);
        live_[p] = Block{size, stream, dev};
        pool.stats.allocated_bytes += size;
        if (pool.stats.allocated_bytes > pool.stats.peak_allocated_bytes)
            pool.stats.peak_allocated_bytes = pool.stats.allocated_bytes;
        return p;
    }

    void deallocate(void* p, std::size_t, Device) override {
        if (!p) return;
        std::lock_guard lock(mutex_);
        auto it = live_.find(p);
        if (it == live_.end()) return;  // not ours: nothing sensible to do with it
        const Block b = it->second;
        live_.erase(it);
        DevicePool& pool = pools_[b.device];
        // A block of an ended stream is idle once that stream was synchronized; any stream may take it.
        const cudaStream_t stream = pool.dead_streams.count(b.stream) ? nullptr : b.stream;
        pool.free[stream][b.size].push_back(p);
        pool.stats.allocated_bytes -= b.size;
        pool.cached_bytes += b.size;
    }

    void release_stream(int device, cudaStream_t stream) {
        std::lock_guard lock(mutex_);
        DevicePool& pool = pools_[device];
        pool.dead_streams.insert(stream);
        auto it = pool.free.find(stream);
        if (it == pool.free.end()) return;
        auto& target = pool.free[nullptr];
        for (auto& [size, blocks] : it->second) target[size].insert(target[size].end(), blocks.begin(), blocks.end());
        pool.free.erase(it);
    }

    void empty_cache() {
        std::lock_guard lock(mutex_);
        for (auto& [dev, pool] : pools_) free_cached(pool, dev);
    }

    AllocatorStats stats(int device) {
        std::lock_guard lock(mutex_);
        auto it = pools_.find(device);
        return it == pools_.end() ? AllocatorStats{} : it->second.stats;
    }

private:
    void* take(DevicePool& pool, cudaStream_t stream, std::size_t size) {
        auto s = pool.free.find(stream);
        if (s == pool.free.end()) return nullptr;
        auto c = s->second.find(size);
        if (c == s->second.end() || c->second.empty()) return nullptr;
        void* p = c->second.back();
        c->second.pop_back();
        pool.cached_bytes -= size;
        ++pool.stats.cache_hits;
        return p;
    }

    void* device_malloc(DevicePool& pool, int dev, std::size_t size, std::size_t requested) {
        DeviceGuard g(dev);
        void* p = nullptr;
        cudaError_t e = cudaMalloc(&p, size);
        if (e == cudaErrorMemoryAllocation) {
            (void)cudaGetLastError();
            free_cached(pool, dev);  // give the cache back to the driver and try once more
            e = cudaMalloc(&p, size);
        }
        if (e == cudaErrorMemoryAllocation) {
            (void)cudaGetLastError();
            throw Error(detail::concat("out of memory on cuda:", dev, ": could not allocate ", requested,
                                       " bytes (", pool.stats.allocated_bytes, " bytes held by tensors)"));
        }
        check(e, "cudaMalloc", dev);
        ++pool.stats.device_mallocs;
        pool.stats.reserved_bytes += size;
        return p;
    }

    void free_cached(DevicePool& pool, int dev) {
        DeviceGuard g(dev);
        for (auto& [stream, classes] : pool.free)
            for (auto& [size, blocks] : classes) {
                for (void* p : blocks) {
                    (void)cudaFree(p);  // synchronizes the device first
                    ++pool.stats.device_frees;
                    pool.stats.reserved_bytes -= size;
                }
                blocks.clear();
            }
        pool.free.clear();
        pool.cached_bytes = 0;
    }

    std::mutex mutex_;
    std::map<int, DevicePool> pools_;
    std::unordered_map<void*, Block> live_;
};

// Never destroyed: tensors in static storage may free their blocks after the end of main().
CachingAllocator& allocator() {
    static CachingAllocator* a = new CachingAllocator;
    return *a;
}

}  // namespace

Allocator& caching_allocator() { return allocator(); }
void release_stream_blocks(int device, cudaStream_t stream) { allocator().release_stream(device, stream); }
AllocatorStats module_allocator_stats(int device) { return allocator().stats(device); }
void module_empty_cache() { allocator().empty_cache(); }

}  // namespace neura::cuda
