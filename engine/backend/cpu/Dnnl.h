#pragma once
// oneDNN on the CPU: one engine per process, one stream per thread (a oneDNN stream must not be used
// by two threads at once, and training, data loading and the GUI each run ops on their own thread),
// and plain-layout views of contiguous F32 tensors as dnnl::memory. Everything here is the oneDNN C++
// API, whose handles are already RAII.
#include <dnnl.hpp>

#include <unordered_map>
#include <vector>

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
// Memory a primitive call needs beside the tensors (copies in the primitive's layouts, workspaces), in
// blocks of the engine's CPU allocator that live as long as this object: its cache of blocks spares the
// page faults that fresh memory from oneDNN's own allocator costs at every step.
class LayoutBlocks {
public:
    // Uninitialised memory described by `md`.
    dnnl::memory memory(const dnnl::memory::desc& md);
    // `plain` in the layout `want`: `plain` itself when the layouts agree, otherwise a reordered copy.
    dnnl::memory to_layout(const dnnl::memory& plain, const dnnl::memory::desc& want);
    // Memory in the layout `want` for a primitive to write, and the copy back into `plain` afterwards
    // (from_layout; nothing to copy when the layouts agree).
    dnnl::memory output_layout(const dnnl::memory& plain, const dnnl::memory::desc& want);

private:
    std::vector<Tensor> held_;
};

// Copies what a primitive wrote in its layout (output_layout) back into `plain`; nothing when they are one.
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
