#!/usr/bin/env node
// Runs an ONNX model with ONNX Runtime (onnxruntime-node, installed into tests/onnx/node_modules by
// tools/setup-debian.sh) on an ONNX backend-test folder and compares with the expected outputs:
//   DIR/model.onnx
//   DIR/test_data_set_0/input_0.pb [input_1.pb ...]   TensorProto files, in the model's input order
//   DIR/test_data_set_0/output_0.pb [...]              expected outputs (here: the engine's)
// usage: node ort_check.js DIR [--atol 1e-4]
// Prints one JSON line {"model", "outputs": [{"name", "shape", "max_abs_diff", "worst_index"}], "passed"};
// exits 0 when every output is within atol, 1 otherwise (with the worst difference), 2 on bad usage
// or when onnxruntime-node is missing.
'use strict';
const fs = require('fs');
const path = require('path');

function fail(code, message) {
  process.stderr.write(`ort_check: ${message}\n`);
  process.exit(code);
}

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  fail(2, `onnxruntime-node is not installed (${e.message.split('\n')[0]}); run tools/setup-debian.sh, ` +
          `or: cd tests/onnx && npm install --ignore-scripts onnxruntime-node@1.30.0`);
}

// ---- a minimal protobuf reader for onnx.TensorProto ----
class Reader {
  constructor(buf) { this.buf = buf; this.pos = 0; }
  eof() { return this.pos >= this.buf.length; }
  varint() {  // as BigInt: int64 dims and values
    let result = 0n, shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
    return result;
  }
  bytes(n) {
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.bytes(8);
    else if (wire === 2) this.bytes(Number(this.varint()));
    else if (wire === 5) this.bytes(4);
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const TYPES = {1: 'float32', 5: 'int32', 7: 'int64', 11: 'float64'};

function readTensor(file) {
  const r = new Reader(fs.readFileSync(file));
  const t = {dims: [], dataType: 0, name: '', raw: null, floats: [], doubles: [], ints: []};
  const signed64 = (v) => BigInt.asIntN(64, v);
  while (!r.eof()) {
    const key = Number(r.varint());
    const field = key >> 3, wire = key & 7;
    const packed = (fn) => {  // repeated numeric field: packed (wire 2) or one value
      if (wire === 2) {
        const sub = new Reader(r.bytes(Number(r.varint())));
        while (!sub.eof()) fn(sub);
      } else {
        fn(r);
      }
    };
    if (field === 1) packed((s) => t.dims.push(Number(signed64(s.varint()))));
    else if (field === 2 && wire === 0) t.dataType = Number(r.varint());
    else if (field === 4) packed((s) => { const b = s.bytes(4); t.floats.push(Buffer.from(b).readFloatLE(0)); });
    else if (field === 5) packed((s) => t.ints.push(Number(BigInt.asIntN(32, s.varint()))));
    else if (field === 7) packed((s) => t.ints.push(signed64(s.varint())));
    else if (field === 8 && wire === 2) t.name = r.bytes(Number(r.varint())).toString('utf8');
    else if (field === 9 && wire === 2) t.raw = Buffer.from(r.bytes(Number(r.varint())));
    else if (field === 10) packed((s) => { const b = s.bytes(8); t.doubles.push(Buffer.from(b).readDoubleLE(0)); });
    else r.skip(wire);
  }
  const type = TYPES[t.dataType];
  if (!type) throw new Error(`${file}: data type ${t.dataType} is not read here`);
  const n = t.dims.reduce((a, b) => a * b, 1);
  let data;
  if (t.raw) {
    const size = {float32: 4, int32: 4, int64: 8, float64: 8}[type];
    if (t.raw.length !== n * size) throw new Error(`${file}: raw_data has ${t.raw.length} bytes, needs ${n * size}`);
    const ab = t.raw.buffer.slice(t.raw.byteOffset, t.raw.byteOffset + t.raw.length);
    data = {float32: Float32Array, int32: Int32Array, int64: BigInt64Array, float64: Float64Array}[type];
    data = new data(ab);
  } else if (type === 'float32') data = Float32Array.from(t.floats);
  else if (type === 'float64') data = Float64Array.from(t.doubles);
  else if (type === 'int64') data = BigInt64Array.from(t.ints.map(BigInt));
  else data = Int32Array.from(t.ints);
  if (data.length !== n) throw new Error(`${file}: ${data.length} values for dims [${t.dims}]`);
  return new ort.Tensor(type, data, t.dims);
}

async function main() {
  const args = process.argv.slice(2);
  let atol = 1e-4;
  const positional = [];
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === '--atol') atol = Number(args[++i]);
    else positional.push(args[i]);
  }
  if (positional.length !== 1 || !(atol >= 0)) fail(2, 'usage: node ort_check.js DIR [--atol 1e-4]');
  const dir = positional[0];
  const modelPath = path.join(dir, 'model.onnx');
  const dataDir = path.join(dir, 'test_data_set_0');
  if (!fs.existsSync(modelPath)) fail(2, `${modelPath} does not exist`);

  const session = await ort.InferenceSession.create(modelPath);
  const feeds = {};
  session.inputNames.forEach((name, i) => { feeds[name] = readTensor(path.join(dataDir, `input_${i}.pb`)); });
  const results = await session.run(feeds);

  const report = {model: modelPath, atol, outputs: [], passed: true};
  session.outputNames.forEach((name, i) => {
    const want = readTensor(path.join(dataDir, `output_${i}.pb`));
    const got = results[name];
    const entry = {name, shape: got.dims, expected_shape: want.dims, max_abs_diff: 0, worst_index: -1};
    if (got.dims.length !== want.dims.length || got.dims.some((d, k) => d !== want.dims[k])) {
      entry.max_abs_diff = Infinity;
      entry.error = `shape [${got.dims}] differs from the expected [${want.dims}]`;
    } else {
      for (let k = 0; k < want.data.length; ++k) {
        const d = Math.abs(Number(got.data[k]) - Number(want.data[k]));
        const diff = Number.isNaN(d) ? (Number.isNaN(Number(got.data[k])) && Number.isNaN(Number(want.data[k])) ? 0 : Infinity) : d;
        if (entry.worst_index < 0 || diff > entry.max_abs_diff) {
          entry.max_abs_diff = diff;
          entry.worst_index = k;
          entry.got = Number(got.data[k]);
          entry.expected = Number(want.data[k]);
        }
      }
    }
    if (!(entry.max_abs_diff <= atol)) report.passed = false;
    report.outputs.push(entry);
  });
  process.stdout.write(JSON.stringify(report) + '\n');
  if (!report.passed) {
    const worst = report.outputs.reduce((a, b) => (b.max_abs_diff > a.max_abs_diff ? b : a));
    fail(1, `output '${worst.name}' differs from the expected by ${worst.max_abs_diff} (atol ${atol}) at flat index ` +
            `${worst.worst_index}: ONNX Runtime ${worst.got}, expected ${worst.expected}${worst.error ? ' — ' + worst.error : ''}`);
  }
}

main().catch((e) => fail(1, e.stack || String(e)));
