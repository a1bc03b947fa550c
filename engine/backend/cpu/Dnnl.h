#pragma once
// oneDNN on the CPU: one engine per process, one stream per thread (a oneDNN stream must not be used
// by two threads at once, and training, data loading and the GUI each run ops on their own thread),
// and plain-layout views of contiguous F32 tensors as dnnl::memory. Everything here is the oneDNN C++
// API, whose handles are already RAII.
#include <dnnl.hpp>

#include <unordered_map>

#include "neura/core/Error.h"
#include "neura/core/Tensor.h"

namespace neura::cpu {

dnnl::engine& dnnl_engine();
dnnl::stream& dnnl_stream();

// An f32 descriptor of `dims` in row-major (plain) layout.
dnnl::memory::desc plain_desc(const Shape& dims);
// The contiguous F32 tensor `t` as oneDNN memory described by `md` (no copy).
dnnl::memory as_memory(const Tensor& t, const dnnl::memory::desc& md);
inline dnnl::memory as_memory(const Tensor& t) { return as_memory(t, plain_desc(t.shape())); }

// An f32 descriptor of `dims` that lets a primitive choose its layout (blocked layouts are what
// oneDNN's fast convolutions run on).
dnnl::memory::desc any_desc(const Shape& dims);
// `plain` in the layout `want`: `plain` itself when the layouts agree, otherwise a reordered copy.
dnnl::memory to_layout(const dnnl::memory& plain, const dnnl::memory::desc& want);
// Memory described by `md` in a block of the engine's CPU allocator, which `owner` keeps alive: its cache
// of big blocks spares the page faults that fresh memory from oneDNN's own allocator costs at every step.
dnnl::memory cached_memory(const dnnl::memory::desc& md, Tensor& owner);
// to_layout, the copy (if any) in cached_memory.
dnnl::memory to_layout(const dnnl::memory& plain, const dnnl::memory::desc& want, Tensor& owner);
// Memory in the layout `want` for a primitive to write, and the copy back into `plain` afterwards
// (nothing to copy when the layouts agree).
dnnl::memory output_layout(const dnnl::memory& plain, const dnnl::memory::desc& want);
void from_layout(const dnnl::memory& written, const dnnl::memory& plain);

// Runs one primitive on this thread's stream and waits for it.
void execute(const dnnl::primitive& p, const std::unordered_map<int, dnnl::memory>& args);

// Calls f, turning a dnnl::error into a neura::Error that names the op.
template <class F>
decltype(auto) dnnl_call(const char* op, F&& f) {
    try {
        return f();
    } catch (const dnnl::error& e) {
        throw Error(detail::concat(op, ": oneDNN failed: ", e.what()));
    }
}

}  // namespace neura::cpu
