#pragma once
// The pointwise ops, listed once. Each row is X(slot, Formula): the kernel slot's name (also the op's
// name in errors) and its scalar formula in ops/Formulas.h. Everything per op is generated from these
// lists: the slots (ops/Pointwise.cpp), the CPU kernels (backend/cpu/Register.cpp), the CUDA launcher
// enum, its switch and its registrations (backend/cuda); nothing depends on the order of the rows.
// docs/adding-an-op.md says what else a new op needs (its public function, backward, tests).
// No engine types here: nvcc includes it.

// out = f(x; p0, p1): UnaryKernel slots.
#define NEURA_UNARY_OPS(X)    \
    X(neg, Neg)               \
    X(exp, Exp)               \
    X(log, Log)               \
    X(sqrt, Sqrt)             \
    X(sign, Sign)             \
    X(abs, Abs)               \
    X(sin, Sin)               \
    X(cos, Cos)               \
    X(erf, Erf)               \
    X(clamp, Clamp)           \
    X(relu, Relu)             \
    X(leaky_relu, LeakyRelu)  \
    X(sigmoid, Sigmoid)       \
    X(tanh, Tanh)             \
    X(gelu, Gelu)             \
    X(pow_scalar, PowScalar)

// out = f(a, b; p0), out of the operands' dtype: BinaryKernel slots.
#define NEURA_BINARY_OPS(X)         \
    X(add, Add)                     \
    X(mul, Mul)                     \
    X(div, Div)                     \
    X(pow, Pow)                     \
    X(maximum, Maximum)             \
    X(minimum, Minimum)             \
    X(relu_backward, ReluBackward)

// out = (a op b) as 0 or 1 in I64: BinaryKernel slots whose output is always I64.
#define NEURA_COMPARISON_OPS(X) \
    X(eq, Eq)                   \
    X(ne, Ne)                   \
    X(gt, Gt)                   \
    X(ge, Ge)                   \
    X(lt, Lt)                   \
    X(le, Le)
