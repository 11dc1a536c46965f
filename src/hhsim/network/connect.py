"""Connection rules: which neuron of a source population reaches which target neuron.

:func:`connect` turns a rule into two index arrays ``(pre, post)``, one entry
per synapse.  A rule is written as in a TOML network file or built with the
constructors below:

===========================================  ==================================  ===================
TOML                                         Python                              synapses
===========================================  ==================================  ===================
``"all"``                                    :func:`all_to_all`                  every pre to every post
``"one_to_one"``                             :func:`one_to_one`                  pre i to post i
``{p = 0.02}``                               :func:`pairwise`                    each pair with probability p
``{indegree = 64}``                          :func:`fixed_indegree`              each post gets 64 pre
``{outdegree = 64}``                         :func:`fixed_outdegree`             each pre reaches 64 post
``{total = 1000}``                           :func:`fixed_total`                 1000 pairs in all
``{pre = [0, 1], post = [1, 0]}``            :func:`explicit`                    the pairs given
===========================================  ==================================  ===================

Options, written next to the rule key (``{p = 0.1, autapses = true}``):

* ``autapses`` (default false): within one population (``same_population``)
  may a neuron connect to itself?  Between two populations it changes nothing.
* ``multapses`` (default false; indegree, outdegree and total only): may one
  pair be drawn more than once?  Without multapses the pre of one post (for
  indegree; the post of one pre for outdegree; all pairs for total) are
  distinct, drawn uniformly among the allowed sets.

Output: ``int32`` arrays (``int64`` only when a population has more than
2**31 - 1 neurons), sorted by (pre, post) for every random and regular rule;
explicit pairs keep the order given, so that per-synapse weight and delay
arrays given alongside stay aligned.

Reproducibility: randomness comes from ``numpy.random.Generator(PCG64)``
streams derived from ``seed`` with :class:`numpy.random.SeedSequence`; the
work is cut into blocks whose size depends only on the rule and the
population sizes, and block ``b`` draws from the child ``b`` of the seed's
sequence (the same child ``SeedSequence(seed).spawn`` would give).  So the
same seed gives the same synapses whatever the number of threads or
processes.  Give every projection of a network its own seed, for example
``SeedSequence(network_seed, spawn_key=(projection_index,))``: two
projections with one seed and one rule would be identical.

Memory: the edges are built in blocks of about 65536 synapses, so the
temporaries stay small; the peak is about 12 bytes per synapse (pairwise),
16 (fixed in-degree, which sorts int64 keys) and below 30 in the worst case
of the other rules, against the 8 bytes of the result (measured by
``benchmarks/connect.py``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .. import cpu_load
from ..engine import pages
from ..errors import ParameterError

#: Rule kinds, as stored in :attr:`Rule.kind`.
KINDS = ("all", "one_to_one", "pairwise", "indegree", "outdegree", "total", "explicit")

#: TOML key of each random rule's number.
_VALUE_KEY = {"pairwise": "p", "indegree": "indegree", "outdegree": "outdegree", "total": "total"}
_KEY_KIND = {v: k for k, v in _VALUE_KEY.items()}
_OPTIONS = ("autapses", "multapses")
_MULTAPSE_KINDS = ("indegree", "outdegree", "total")

_ACCEPTED = (
    '"all", "one_to_one", or a table with one of p, indegree, outdegree, total '
    "(options autapses, multapses), or pre and post index arrays"
)

_INT32_MAX = 2**31 - 1
#: Synapses (or candidate slots) per random block; fixes the block layout,
#: hence the streams, so it must never depend on the machine.
_BLOCK = 1 << 16
#: Elements decoded at a time when turning flat indices into (pre, post).
_CHUNK = 1 << 16
#: Draw-and-reject distinct values while k * _SPARSE <= m; above, fill a mask.
_SPARSE = 16
#: Below this p, pairwise blocks draw their count and then distinct positions.
_TINY_P = 1e-6


@dataclass(frozen=True, eq=False)
class Rule:
    """A connection rule in normal form.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    value : float or int or None
        ``p`` for ``pairwise``, the degree for ``indegree``/``outdegree``, the
        number of synapses for ``total``; ``None`` otherwise.
    autapses : bool
        Allow a neuron to connect to itself when pre and post are one population.
    multapses : bool
        Allow a pair to be drawn more than once (indegree, outdegree, total).
    pre, post : numpy.ndarray or None
        The index arrays of an ``explicit`` rule (read-only integer copies).
    """

    kind: str
    value: float | int | None = None
    autapses: bool = False
    multapses: bool = False
    pre: np.ndarray | None = None
    post: np.ndarray | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ParameterError(f"unknown connection rule {self.kind!r}; accepted: {', '.join(KINDS)}")
        for option in _OPTIONS:
            flag = getattr(self, option)
            if not isinstance(flag, (bool, np.bool_)):
                raise ParameterError(f"connection option {option} must be true or false (got {flag!r})")
            object.__setattr__(self, option, bool(flag))
        if self.multapses and self.kind not in _MULTAPSE_KINDS:
            raise ParameterError(
                f"multapses does not apply to {self.kind!r} connections (each pair is considered once); "
                f"it applies to {', '.join(_MULTAPSE_KINDS)}"
            )
        if self.kind == "explicit":
            if self.autapses:
                raise ParameterError(
                    "autapses does not apply to explicit connections: the pairs given are used as they are"
                )
            pre = _index_array(self.pre, "pre")
            post = _index_array(self.post, "post")
            if pre.size != post.size:
                raise ParameterError(
                    f"explicit connections need pre and post of equal length (got {pre.size} and {post.size})"
                )
            object.__setattr__(self, "pre", pre)
            object.__setattr__(self, "post", post)
            object.__setattr__(self, "value", None)
            return
        if self.pre is not None or self.post is not None:
            raise ParameterError(f"pre and post index arrays belong to explicit connections, not {self.kind!r}")
        if self.kind == "pairwise":
            object.__setattr__(self, "value", _probability(self.value))
        elif self.kind in _MULTAPSE_KINDS:
            object.__setattr__(self, "value", _count(self.value, _VALUE_KEY[self.kind]))
        elif self.value is not None:
            raise ParameterError(f"{self.kind!r} connections take no number (got {self.value!r})")

    def __eq__(self, other):
        if not isinstance(other, Rule):
            return NotImplemented
        same = (self.kind, self.value, self.autapses, self.multapses) == (
            other.kind, other.value, other.autapses, other.multapses)
        if self.kind == "explicit":
            same = same and np.array_equal(self.pre, other.pre) and np.array_equal(self.post, other.post)
        return same

    __hash__ = None


def all_to_all(autapses: bool = False) -> Rule:
    """Every pre neuron to every post neuron (``"all"``)."""
    return Rule("all", autapses=autapses)


def one_to_one(autapses: bool = False) -> Rule:
    """Pre neuron i to post neuron i (``"one_to_one"``); the populations must be the same size.

    Within one population these are all autapses, so ``autapses=True`` is required there.
    """
    return Rule("one_to_one", autapses=autapses)


def pairwise(p: float, autapses: bool = False) -> Rule:
    """Each (pre, post) pair independently with probability ``p`` (``{p = ...}``)."""
    return Rule("pairwise", p, autapses=autapses)


def fixed_indegree(k: int, autapses: bool = False, multapses: bool = False) -> Rule:
    """Each post neuron receives exactly ``k`` synapses from random pre neurons (``{indegree = k}``)."""
    return Rule("indegree", k, autapses=autapses, multapses=multapses)


def fixed_outdegree(k: int, autapses: bool = False, multapses: bool = False) -> Rule:
    """Each pre neuron makes exactly ``k`` synapses onto random post neurons (``{outdegree = k}``)."""
    return Rule("outdegree", k, autapses=autapses, multapses=multapses)


def fixed_total(n: int, autapses: bool = False, multapses: bool = False) -> Rule:
    """Exactly ``n`` synapses on pairs drawn uniformly from all pairs (``{total = n}``)."""
    return Rule("total", n, autapses=autapses, multapses=multapses)


def explicit(pre, post) -> Rule:
    """The synapses ``pre[i] -> post[i]``, in the order given (``{pre = [...], post = [...]}``)."""
    return Rule("explicit", pre=pre, post=post)


def normalise(rule) -> Rule:
    """The :class:`Rule` for a rule written as a string, a TOML table (dict) or a Rule."""
    if isinstance(rule, Rule):
        return rule
    if isinstance(rule, str):
        if rule in ("all", "one_to_one"):
            return Rule(rule)
        raise ParameterError(f"unknown connection rule {rule!r}; accepted: {_ACCEPTED}")
    if isinstance(rule, Mapping):
        return _from_table(rule)
    raise ParameterError(f"a connection rule must be {_ACCEPTED} (got {type(rule).__name__})")


def _from_table(table: Mapping) -> Rule:
    keys = list(table)
    accepted = set(_KEY_KIND) | {"all", "one_to_one", "pre", "post"} | set(_OPTIONS)
    unknown = [k for k in keys if k not in accepted]
    if unknown:
        raise ParameterError(f"unknown connection key {unknown[0]!r}; accepted: {_ACCEPTED}")
    options = {k: table[k] for k in _OPTIONS if k in table}
    rule_keys = [k for k in keys if k not in _OPTIONS]
    groups = {("explicit" if k in ("pre", "post") else k) for k in rule_keys}
    if len(groups) != 1:
        shown = ", ".join(rule_keys) if rule_keys else "none"
        raise ParameterError(f"a connection table needs exactly one rule (got {shown}); accepted: {_ACCEPTED}")
    (group,) = groups
    if group == "explicit":
        if "pre" not in table or "post" not in table:
            raise ParameterError("explicit connections need both pre and post index arrays")
        return Rule("explicit", pre=table["pre"], post=table["post"], **options)
    if group in ("all", "one_to_one"):
        if table[group] is not True:
            raise ParameterError(f"write {group} = true, or the string {group!r} (got {table[group]!r})")
        return Rule(group, **options)
    return Rule(_KEY_KIND[group], table[group], **options)


def describe(rule) -> str | dict:
    """The TOML-ready form of a rule (a string or a dict); :func:`normalise` reads it back."""
    r = normalise(rule)
    if r.kind == "explicit":
        return {"pre": r.pre.tolist(), "post": r.post.tolist()}
    options = {}
    if r.autapses:
        options["autapses"] = True
    if r.multapses:
        options["multapses"] = True
    if r.kind in ("all", "one_to_one"):
        return {r.kind: True, **options} if options else r.kind
    return {_VALUE_KEY[r.kind]: r.value, **options}


def estimate_count(rule, n_pre: int, n_post: int, *, same_population: bool = False) -> int:
    """Expected number of synapses (exact except for ``pairwise``), checked like :func:`connect`.

    Use it to refuse a network that would not fit in memory before building it
    (the result takes 8 bytes per synapse, its building about twice that).
    """
    r = normalise(rule)
    n_pre, n_post = _check_sizes(n_pre, n_post, same_population)
    skip_self = same_population and not r.autapses
    _check_fits(r, n_pre, n_post, same_population, skip_self)
    pairs = n_pre * (n_post - 1 if skip_self else n_post)
    if r.kind == "all":
        return pairs
    if r.kind == "one_to_one":
        return n_pre
    if r.kind == "pairwise":
        return int(round(r.value * pairs))
    if r.kind == "indegree":
        return r.value * n_post
    if r.kind == "outdegree":
        return r.value * n_pre
    if r.kind == "total":
        return r.value
    return int(r.pre.size)


#: Bytes per synapse while :func:`connect` builds them (pre and post, the sort's permutation, draws).
BUILD_BYTES = 40.0


def connect(rule, n_pre: int, n_post: int, *, seed, same_population: bool = False):
    """Synapses of a projection from ``n_pre`` to ``n_post`` neurons.

    Parameters
    ----------
    rule : str, dict or Rule
        See the module docstring.
    n_pre, n_post : int
        Sizes of the source and target populations.
    seed : int, sequence of int, or numpy.random.SeedSequence
        Root of the random streams (unused by ``all``, ``one_to_one``, ``explicit``).
    same_population : bool
        Source and target are one population (then ``autapses`` matters).

    Returns
    -------
    pre, post : numpy.ndarray
        Indices of the source and target neuron of each synapse (int32, or
        int64 above 2**31 - 1 neurons), sorted by (pre, post) except for
        explicit pairs, which keep their order.

    Raises
    ------
    hhsim.errors.ParameterError
        For a malformed rule or one the population sizes cannot satisfy.
    """
    r = normalise(rule)
    n_pre, n_post = _check_sizes(n_pre, n_post, same_population)
    skip_self = same_population and not r.autapses
    _check_fits(r, n_pre, n_post, same_population, skip_self)
    # the synapses' size, estimated before any is drawn (the API as bounded as a network run)
    from ..limits import check_memory

    n_syn = estimate_count(r, n_pre, n_post, same_population=same_population)
    check_memory(BUILD_BYTES * float(n_syn), f"{n_syn} synapses", "use fewer neurons or a sparser rule",
                 ParameterError)
    dtype = np.int32 if max(n_pre, n_post) <= _INT32_MAX else np.int64
    if r.kind == "explicit":
        return r.pre.astype(dtype), r.post.astype(dtype)
    if r.kind == "one_to_one":
        idx = np.arange(n_pre, dtype=dtype)
        return idx, idx.copy()
    if r.kind == "all" or (r.kind == "pairwise" and r.value == 1.0):
        return _all(n_pre, n_post, skip_self, dtype)
    root = _seed_sequence(seed)
    if r.kind == "pairwise":
        return _pairwise(r.value, n_pre, n_post, skip_self, root, dtype)
    if r.kind == "indegree":
        return _indegree(r.value, r.multapses, n_pre, n_post, skip_self, root, dtype)
    if r.kind == "outdegree":
        return _outdegree(r.value, r.multapses, n_pre, n_post, skip_self, root, dtype)
    return _total(r.value, r.multapses, n_pre, n_post, skip_self, root, dtype)


# -- checks -------------------------------------------------------------------------------


def _probability(p) -> float:
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
        raise ParameterError(f"connection probability p must be a number in [0, 1] (got {p!r})")
    p = float(p)
    if not 0.0 <= p <= 1.0:  # also refuses NaN
        raise ParameterError(f"connection probability p = {p:g} is outside [0, 1]")
    return p


def _count(value, name: str) -> int:
    from .. import validate as _v

    whole = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer())
    if isinstance(value, (bool, np.bool_)) or not whole or value < 0:
        raise ParameterError(f"{name} must be a whole number >= 0 (got {_v.shown(value)})")
    return _v.whole(value, name, lo=0, hi=_v.MAX_COUNT)


def _index_array(values, name: str) -> np.ndarray:
    if values is None:
        raise ParameterError("explicit connections need both pre and post index arrays")
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):
        arr = np.asarray(values, dtype=object)
    if arr.ndim != 1:
        raise ParameterError(f"explicit {name} must be a flat list of neuron indices (got {arr.ndim} dimensions)")
    if arr.size == 0:
        arr = arr.astype(np.int64)
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise ParameterError(f"explicit {name} must hold whole-number neuron indices (got {arr.dtype} values)")
    out = arr.copy()  # private, in the integer type given
    out.flags.writeable = False
    return out


def _check_sizes(n_pre, n_post, same_population: bool) -> tuple[int, int]:
    n_pre = _count(n_pre, "n_pre")
    n_post = _count(n_post, "n_post")
    if same_population and n_pre != n_post:
        raise ParameterError(f"one population has one size (got n_pre = {n_pre}, n_post = {n_post})")
    return n_pre, n_post


def _check_fits(r: Rule, n_pre: int, n_post: int, same_population: bool, skip_self: bool) -> None:
    """Refuse a rule the population sizes cannot satisfy, with the reason."""
    minus_self = " minus the neuron itself (autapses off)" if skip_self else ""
    if r.kind == "one_to_one":
        if n_pre != n_post:
            raise ParameterError(
                f"one_to_one needs populations of equal size (got {n_pre} pre and {n_post} post)")
        if same_population and not r.autapses:
            raise ParameterError(
                "one_to_one within one population connects each neuron to itself; "
                "set autapses = true, or connect two populations")
    elif r.kind == "explicit":
        for name, idx, n in (("pre", r.pre, n_pre), ("post", r.post, n_post)):
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                bad = idx[(idx < 0) | (idx >= n)][0]
                raise ParameterError(
                    f"explicit {name} index {bad} is out of range; accepted: 0 to {n - 1} "
                    f"(the {name} population has {n} neurons)")
    elif r.kind in ("indegree", "outdegree"):
        source = r.kind == "indegree"
        n_cand = n_pre if source else n_post
        n_cand_free = n_cand - 1 if skip_self else n_cand
        pop = "source" if source else "target"
        k = r.value
        if k > 0 and n_cand_free == 0:
            raise ParameterError(f"{r.kind} {k} is impossible: the {pop} population offers no neuron to connect")
        if k > n_cand_free and not r.multapses:
            raise ParameterError(
                f"{r.kind} {k} is larger than the {pop} population ({n_cand} neurons{minus_self}) without "
                f"multapses; accepted: at most {n_cand_free}, or set multapses = true")
    elif r.kind == "total":
        pairs = n_pre * (n_post - 1 if skip_self else n_post)
        if r.value > 0 and pairs == 0:
            raise ParameterError(f"total {r.value} is impossible: there is no pair of neurons to connect")
        if r.value > pairs and not r.multapses:
            raise ParameterError(
                f"total {r.value} is more than the {pairs} possible pairs ({n_pre} x {n_post}{minus_self}) "
                "without multapses; accepted: at most that, or set multapses = true")


def _seed_sequence(seed) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    values = list(seed) if isinstance(seed, (list, tuple)) else [seed]
    if not values or any(isinstance(s, (bool, np.bool_)) or not isinstance(s, numbers.Integral) or s < 0
                         for s in values):
        raise ParameterError(
            f"seed must be a whole number >= 0, a list of them, or a numpy SeedSequence (got {seed!r})")
    return np.random.SeedSequence([int(s) for s in values] if isinstance(seed, (list, tuple)) else int(seed))


def _block_rng(root: np.random.SeedSequence, block: int) -> np.random.Generator:
    """The generator of block ``block``: child ``block`` of ``root``, as ``root.spawn`` gives it.

    Built directly rather than with ``spawn`` so that a SeedSequence passed in
    is not advanced (calling twice gives the same edges).
    """
    child = np.random.SeedSequence(
        root.entropy, spawn_key=tuple(root.spawn_key) + (block,), pool_size=root.pool_size)
    return np.random.Generator(np.random.PCG64(child))


# -- builders -----------------------------------------------------------------------------


def _empty(dtype):
    return np.empty(0, dtype), np.empty(0, dtype)


def _decode(flat: np.ndarray, width: int, skip_self: bool, pre_out, post_out) -> None:
    """Split sorted flat indices ``row * width + col`` into ``pre_out`` (row) and ``post_out`` (col).

    With ``skip_self`` the columns count the targets other than the row's own
    neuron, so col >= row moves up by one (the map keeps the order).  Rows
    come from the places where the sorted indices cross multiples of
    ``width`` (a search over the rows), not from an int64 division per
    synapse, which measured 1.5 times slower.
    """
    for s in range(0, flat.size, _CHUNK):
        f = flat[s:s + _CHUNK]
        r0, r1 = int(f[0]) // width, int(f[-1]) // width
        if r1 - r0 < 2 * f.size:
            rows = np.arange(r0, r1 + 1, dtype=np.int64)
            starts = rows * width
            counts = np.diff(np.searchsorted(f, starts[1:]), prepend=0, append=f.size)
            row = np.repeat(rows, counts)
            col = f - np.repeat(starts, counts)
        else:  # far fewer synapses than rows
            row = f // width
            col = f - row * width
        if skip_self:
            col += col >= row
        pre_out[s:s + _CHUNK] = row
        post_out[s:s + _CHUNK] = col


def _all(n_pre, n_post, skip_self, dtype):
    width = n_post - 1 if skip_self else n_post
    if n_pre * width == 0:
        return _empty(dtype)
    pre = np.repeat(np.arange(n_pre, dtype=dtype), width)
    post = np.tile(np.arange(width, dtype=dtype), n_pre)
    if skip_self:
        post += post >= pre
    return pre, post


def _bernoulli_positions(rng: np.random.Generator, length: int, p: float) -> np.ndarray:
    """Sorted positions in [0, length) each present with probability p (0 < p < 1).

    Geometric skipping: the gaps between successive successes of Bernoulli
    trials are geometric, so the work is proportional to the number of
    successes, not of pairs.
    """
    if p < _TINY_P:
        # Gaps of order 1/p would overflow int64 sums: draw the count, then distinct positions.
        return _distinct_sorted(rng, 1, length, int(rng.binomial(length, p))).ravel()
    mean = length * p
    size = int(mean + 5.0 * math.sqrt(mean) + 16)
    pos = _capped_gaps(rng, p, size, length)
    np.cumsum(pos, out=pos)
    pos -= 1
    while pos[-1] < length:  # rarely: fewer than `size` gaps reached the end
        more = _capped_gaps(rng, p, max(16, size // 8), length)
        np.cumsum(more, out=more)
        more += pos[-1]
        pos = np.concatenate((pos, more))
    return pos[: np.searchsorted(pos, length)]


def _capped_gaps(rng, p, size, length):
    """Geometric gaps; one longer than the block cannot matter, so cap it there (no overflow)."""
    gaps = rng.geometric(p, size)
    np.minimum(gaps, length + 1, out=gaps)
    return gaps


def _pairwise(p, n_pre, n_post, skip_self, root, dtype):
    width = n_post - 1 if skip_self else n_post
    pairs = n_pre * width
    if pairs == 0 or p == 0.0:
        return _empty(dtype)
    span = max(1, int(min(_BLOCK / p, pairs)))  # flat positions per block: about _BLOCK synapses each
    # (at most every pair: a subnormal p would make _BLOCK / p overflow)

    def block(b: int):
        start = b * span
        flat = _bernoulli_positions(_block_rng(root, b), min(span, pairs - start), p)
        flat += start
        pre_b = np.empty(flat.size, dtype)
        post_b = np.empty(flat.size, dtype)
        _decode(flat, width, skip_self, pre_b, post_b)
        return pre_b, post_b

    parts = _blocks_in_threads(block, -(-pairs // span))
    pre_parts = [a for a, _ in parts]
    post_parts = [b for _, b in parts]
    del parts
    pre = _joined(pre_parts, dtype)
    del pre_parts  # keep the peak at 12 bytes per synapse
    post = _joined(post_parts, dtype)
    return pre, post


def _joined(parts: list, dtype) -> np.ndarray:
    """The blocks' arrays end to end, in one array on small pages (:mod:`hhsim.engine.pages`:
    written once, read in order)."""
    out = pages.empty(sum(a.size for a in parts), dtype)
    return np.concatenate(parts, out=out) if parts else out


#: Blocks below which a projection is drawn on one thread (a pool's start costs more).
_MIN_THREADED_BLOCKS = 16


def _blocks_in_threads(block, n_blocks: int) -> list:
    """``[block(0), ..., block(n_blocks - 1)]``, on every core for many blocks.  Each block
    draws from its own stream (:func:`_block_rng`) and NumPy's generators and array
    loops release the GIL, so the blocks run at once and the result does not depend on
    the number of threads.  Blocks never wait for each other (a busy core still gives
    its share, as a batch's chunks)."""
    workers = min(cpu_load.cores(), n_blocks)
    if workers < 2 or n_blocks < _MIN_THREADED_BLOCKS:
        return [block(b) for b in range(n_blocks)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hhsim-connect") as pool:
        return list(pool.map(block, range(n_blocks)))


def _distinct_sorted(rng: np.random.Generator, n_rows: int, m: int, k: int) -> np.ndarray:
    """``(n_rows, k)`` int64: in each row k distinct values of [0, m), ascending, uniform among k-subsets.

    Sparse rows (k * 16 <= m): draw k values, replace the repeats by new
    draws, until none is left.  Denser rows: set k cells of a boolean mask
    per row by repeated draws of the missing number (the complement when
    k > m / 2).  Every step treats all values alike, so each k-subset is
    equally likely.
    """
    if k == 0:
        return np.empty((n_rows, 0), np.int64)
    if k * _SPARSE <= m:
        vals = rng.integers(0, m, size=(n_rows, k))
        vals.sort(axis=1)
        while True:
            repeat = vals[:, 1:] == vals[:, :-1]
            rows = np.flatnonzero(repeat.any(axis=1))
            if rows.size == 0:
                return vals
            sub, rep = vals[rows], repeat[rows]
            sub[:, 1:][rep] = rng.integers(0, m, size=int(np.count_nonzero(rep)))
            sub.sort(axis=1)
            vals[rows] = sub
    pick = k if 2 * k <= m else m - k
    mask = np.zeros(n_rows * m, bool)
    row_start = np.arange(n_rows, dtype=np.int64) * m
    missing = np.full(n_rows, pick, np.int64)
    while pick and missing.any():
        draws = rng.integers(0, m, size=int(missing.sum()))
        draws += np.repeat(row_start, missing)
        mask[draws] = True
        missing = pick - mask.reshape(n_rows, m).sum(axis=1)
    if pick != k:
        np.logical_not(mask, out=mask)
    flat = np.flatnonzero(mask).reshape(n_rows, k)
    flat -= row_start[:, None]
    return flat


def _rows_per_block(m: int, k: int) -> int:
    """Rows drawn together so that a block holds about _BLOCK values (or a mask of 16 x that)."""
    cost = k if k * _SPARSE <= m else m // _SPARSE
    return max(1, _BLOCK // max(1, cost))


def _draw_rows(rng, n_rows, m, k, multapses, sort):
    if multapses:
        vals = rng.integers(0, m, size=(n_rows, k))
        if sort:
            vals.sort(axis=1)
        return vals
    return _distinct_sorted(rng, n_rows, m, k)


def _indegree(k, multapses, n_pre, n_post, skip_self, root, dtype):
    m = n_pre - 1 if skip_self else n_pre
    if k == 0 or n_post == 0:
        return _empty(dtype)
    # Drawn per post; sorted afterwards through int64 keys pre * n_post + post.
    key = np.empty(n_post * k, np.int64)
    rows = _rows_per_block(m, k)
    for block, r0 in enumerate(range(0, n_post, rows)):
        r1 = min(n_post, r0 + rows)
        pre = _draw_rows(_block_rng(root, block), r1 - r0, m, k, multapses, sort=False)
        posts = np.arange(r0, r1, dtype=np.int64)[:, None]
        if skip_self:
            pre += pre >= posts
        pre *= n_post
        pre += posts
        key[r0 * k:r1 * k] = pre.ravel()
    del pre
    key.sort()
    pre_out = np.empty(key.size, dtype)
    post_out = np.empty(key.size, dtype)
    _decode(key, n_post, False, pre_out, post_out)
    return pre_out, post_out


def _outdegree(k, multapses, n_pre, n_post, skip_self, root, dtype):
    m = n_post - 1 if skip_self else n_post
    if k == 0 or n_pre == 0:
        return _empty(dtype)
    pre_out = np.repeat(np.arange(n_pre, dtype=dtype), k)
    post_out = np.empty(n_pre * k, dtype)
    rows = _rows_per_block(m, k)
    for block, r0 in enumerate(range(0, n_pre, rows)):
        r1 = min(n_pre, r0 + rows)
        post = _draw_rows(_block_rng(root, block), r1 - r0, m, k, multapses, sort=True)
        if skip_self:
            post += post >= np.arange(r0, r1, dtype=np.int64)[:, None]
        post_out[r0 * k:r1 * k] = post.ravel()
    return pre_out, post_out


def _total(n, multapses, n_pre, n_post, skip_self, root, dtype):
    width = n_post - 1 if skip_self else n_post
    if n == 0:
        return _empty(dtype)
    rng = _block_rng(root, 0)
    if multapses:
        flat = rng.integers(0, n_pre * width, size=n)
        flat.sort()
    else:
        flat = _distinct_sorted(rng, 1, n_pre * width, n).ravel()
    pre = np.empty(n, dtype)
    post = np.empty(n, dtype)
    _decode(flat, width, skip_self, pre, post)
    return pre, post
