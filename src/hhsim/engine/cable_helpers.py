"""Compiled helpers of the cable kernels: a vectorisable exp, rate forms, crossing times.

(The tree and chain solves are in :mod:`hhsim.engine.tree_solve`, the time
loops in :mod:`hhsim.engine.cable_driver`.)

The cable kernels loop over thousands of compartments per time step.  numba's
``math.exp`` stays a scalar library call here (the pip llvmlite has no SVML),
which stops LLVM from vectorising that loop.  :func:`fexp` is branch-free
(range reduction by ln 2, a degree-11 polynomial on |r| <= ln2/2,
the exponent set by an int64-to-float64 bitcast), relative error below 4e-16,
so the whole gate update vectorises.  The rate forms below have the same
names and arguments as those of :mod:`hhsim.engine.kernel_helpers`, which is
what lets the code emitted by :mod:`hhsim.engine.codegen` run unchanged on
top of them.

The functions allow floating-point contraction (``a * b + c`` as one fused
multiply-add: one rounding instead of two) and nothing else of fast-math.

The generated cable modules import this file; its source hash is part of the
generated module's name, so editing it invalidates their on-disk caches.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .kernel_series import EXP_RATIO_SERIES_BELOW, cubic_crossing, exp_ratio_series

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 split in two for an exact k * ln2
_LN2_LO = 1.9082149292705877e-10


@intrinsic
def _bits_to_float(typingctx, x):
    """Reinterpret the bits of an int64 as a float64 (an LLVM bitcast)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c with one rounding (LLVM's ``fma``), whatever the caller's fast-math flags.

    Explicit, not left to contraction: a loop compiled without ``contract``
    (the explicit Runge-Kutta loops, whose scalar remainder and vector lanes
    must round alike) still gets the fused polynomial of :func:`fexp`, and a
    loop with it gets the same bits in every lane."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [double], ir.FunctionType(double, [double] * 3))
        return builder.call(fn, list(args))

    return sig, codegen


# fexp is an ordinary compiled function, not numba's inline="always": that option
# types and lowers the body again at every call site, and a kernel module calls
# exp at hundreds of sites (an rk4 kernel of destexhe_tc compiled 2.3x faster
# without it).  LLVM inlines fexp by itself (it is small), so the loops over
# neurons still vectorise (tests/engine/test_branch_free_math.py).  The rate
# forms below are inlined by LLVM too, but on order (numba's ``forceinline``: the
# LLVM function is marked alwaysinline): left to itself LLVM keeps a form that
# holds an inlined fexp as a call, and a call stops the vectoriser.  They are
# typed once, not at each of a kernel's dozens of call sites as with
# inline="always" (destexhe_tc's rk4 kernel compiled in 4.5 s instead of 6.5-6.8),
# and they keep their own fastmath flags whoever calls them.
@njit(cache=True, error_model="numpy", fastmath={"contract"})
def fexp(x):
    """exp(x) without branches (clamped to [-708, 709]); relative error < 4e-16.

    exp(x) = 2^k exp(r), |r| <= ln2/2; exp(r) from its degree-11 Chebyshev
    interpolant (interpolation error 4e-18 on that interval), evaluated by
    Horner's rule with explicit fused multiply-adds.
    """
    x = min(max(x, -708.0), 709.0)
    k = math.floor(x * _LOG2E + 0.5)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    p = 2.5110037605963777e-08
    p = fma(p, r, 2.763263963904103e-07)
    p = fma(p, r, 2.755724091857897e-06)
    p = fma(p, r, 2.4801485482328494e-05)
    p = fma(p, r, 0.00019841269890047113)
    p = fma(p, r, 0.0013888888952314775)
    p = fma(p, r, 0.008333333333319601)
    p = fma(p, r, 0.0416666666664881)
    p = fma(p, r, 0.1666666666666668)
    p = fma(p, r, 0.5000000000000019)
    p = fma(p, r, 1.0)
    p = fma(p, r, 1.0)
    scale = _bits_to_float((int(k) + 1023) << 52)
    return p * scale


@njit(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)
def _exp_rate(v, a, k, v0):
    """``a * exp((v - v0) / k)``.

    Written with the reciprocal ``1 / k``: in a loop over compartments that
    share k it is computed once, outside the loop (a division per rate per
    compartment would cost as much as the exponential).
    """
    return a * fexp((v - v0) * (1.0 / k))


@njit(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)
def _sigmoid_rate(v, a, k, v0):
    """``a / (1 + exp((v - v0) / k))``."""
    return a / (1.0 + fexp((v - v0) * (1.0 / k)))


@njit(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)
def _linexp_rate(v, a, k, v0):
    """``a (v - v0) / (1 - exp(-(v - v0)/k))``, exact through the removable singularity.

    Both branches are computed and one is selected, so the loop stays
    vectorisable; below |x| = 0.1 the Taylor series is used (see
    :func:`hhsim.engine.kernel_helpers.exp_ratio_series`).
    """
    x = (v - v0) * (1.0 / k)
    series = exp_ratio_series(x)
    direct = x / (1.0 - fexp(-x))
    ratio = series if abs(x) < EXP_RATIO_SERIES_BELOW else direct
    return a * k * ratio


@njit(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)
def _exp_rate_e(a, e):
    """:func:`_exp_rate` given its exponential ``e`` = exp((v - v0) / k)."""
    return a * e


@njit(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)
def _sigmoid_rate_e(a, e):
    """:func:`_sigmoid_rate` given its exponential ``e`` = exp((v - v0) / k)."""
    return a / (1.0 + e)


@njit(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)
def _linexp_rate_e(v, a, k, v0, e):
    """:func:`_linexp_rate` given its exponential ``e`` = exp(-(v - v0) / k)
    (near v = v0 the Taylor series is selected, which does not use it)."""
    x = (v - v0) * (1.0 / k)
    series = exp_ratio_series(x)
    direct = x / (1.0 - e)
    ratio = series if abs(x) < EXP_RATIO_SERIES_BELOW else direct
    return a * k * ratio


# Threshold crossings on the cubic interpolant: the same root finder as the point kernels.
crossing_fraction = cubic_crossing


@njit(cache=True, error_model="numpy", fastmath=False)
def crossing_cubic(a, b, c, d, thr):
    """Fraction of the step from b to c where the cubic through a, b, c, d
    (at s = -1, 0, 1, 2) crosses ``thr`` upwards (b < thr <= c).  O(dt^4)."""
    c1 = -a / 3.0 - b / 2.0 + c - d / 6.0
    c2 = a / 2.0 - b + c / 2.0
    c3 = -a / 6.0 + b / 2.0 - c / 2.0 + d / 6.0
    return crossing_fraction(b, c1, c2, c3, thr)


@njit(cache=True, error_model="numpy", fastmath=False)
def crossing_quadratic(a, b, c, thr):
    """As :func:`crossing_cubic` with the parabola through a, b, c (s = -1, 0, 1)."""
    return crossing_fraction(b, 0.5 * (c - a), 0.5 * (a - 2.0 * b + c), 0.0, thr)
