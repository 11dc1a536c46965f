"""Connection rules: exact counts, statistics with honest bounds, reproducibility, bad input.

Statistical checks compare a measured count, mean or variance with its
exact expectation and allow 5 standard deviations (a false alarm about
once in 1.7 million runs); every seed is fixed, so the tests are
deterministic anyway.
"""

from __future__ import annotations

import math
import threading
import tracemalloc

import numpy as np
import pytest

from hhsim.errors import HHSimError, ParameterError
from hhsim.network import connect as C


def keys(pre, post, n_post):
    return pre.astype(np.int64) * n_post + post


def assert_sorted(pre, post, n_post, strict=True):
    d = np.diff(keys(pre, post, n_post))
    assert np.all(d > 0) if strict else np.all(d >= 0)


def within_sigmas(measured, mean, var, k=5.0):
    assert abs(measured - mean) <= k * math.sqrt(var), (measured, mean, math.sqrt(var))


def sample_variance_ok(x, var, ddof=1):
    """The sample variance of iid values of variance ``var``, within 5 sigma.

    For binomial-like counts the excess kurtosis is small, so the variance of
    the sample variance is about 2 var^2 / (n - 1) (plus the kurtosis term,
    bounded here by adding var / (n - 1) generously).  Counts with a fixed sum
    have an exact mean, so their variance about it takes ``ddof=0``.
    """
    n = x.size
    s2 = x.var(ddof=ddof)
    sd = math.sqrt((2 * var * var + var) / (n - 1))
    assert abs(s2 - var) <= 5 * sd, (s2, var, sd)


# -- deterministic rules --------------------------------------------------------------------


def test_all_between_two_populations_is_every_pair_in_order():
    pre, post = C.connect("all", 7, 5, seed=0)
    assert pre.dtype == np.int32 and post.dtype == np.int32
    assert list(zip(pre.tolist(), post.tolist())) == [(i, j) for i in range(7) for j in range(5)]


def test_all_within_a_population_excludes_autapses_unless_asked():
    pre, post = C.connect("all", 6, 6, seed=0, same_population=True)
    assert list(zip(pre.tolist(), post.tolist())) == [(i, j) for i in range(6) for j in range(6) if i != j]
    pre, post = C.connect({"all": True, "autapses": True}, 6, 6, seed=0, same_population=True)
    assert pre.size == 36 and np.count_nonzero(pre == post) == 6


def test_one_to_one():
    pre, post = C.connect("one_to_one", 9, 9, seed=0)
    assert np.array_equal(pre, np.arange(9)) and np.array_equal(post, np.arange(9))
    pre, post = C.connect(C.one_to_one(autapses=True), 4, 4, seed=0, same_population=True)
    assert np.array_equal(pre, post)


def test_explicit_pairs_round_trip_in_their_order():
    pre_in, post_in = [3, 0, 2, 2], [1, 4, 0, 0]
    pre, post = C.connect({"pre": pre_in, "post": post_in}, 4, 5, seed=0)
    assert pre.tolist() == pre_in and post.tolist() == post_in and pre.dtype == np.int32
    described = C.describe({"pre": pre_in, "post": post_in})
    assert described == {"pre": pre_in, "post": post_in}
    assert C.normalise(described) == C.explicit(np.array(pre_in), np.array(post_in, dtype=float))


# -- pairwise -------------------------------------------------------------------------------


def test_pairwise_count_and_degrees_are_binomial():
    n_pre, n_post, p = 400, 300, 0.05
    pre, post = C.connect({"p": p}, n_pre, n_post, seed=11)
    assert_sorted(pre, post, n_post)
    pairs = n_pre * n_post
    within_sigmas(pre.size, pairs * p, pairs * p * (1 - p))
    indeg = np.bincount(post, minlength=n_post)  # each ~ Binomial(n_pre, p)
    within_sigmas(indeg.mean(), n_pre * p, n_pre * p * (1 - p) / n_post)
    sample_variance_ok(indeg.astype(float), n_pre * p * (1 - p))
    outdeg = np.bincount(pre, minlength=n_pre)
    sample_variance_ok(outdeg.astype(float), n_post * p * (1 - p))


def test_pairwise_within_a_population_and_autapses():
    n, p = 500, 0.1
    pre, post = C.connect({"p": p}, n, n, seed=2, same_population=True)
    assert not np.any(pre == post)
    within_sigmas(pre.size, n * (n - 1) * p, n * (n - 1) * p * (1 - p))
    indeg = np.bincount(post, minlength=n)
    sample_variance_ok(indeg.astype(float), (n - 1) * p * (1 - p))
    pre, post = C.connect(C.pairwise(p, autapses=True), n, n, seed=2, same_population=True)
    within_sigmas(np.count_nonzero(pre == post), n * p, n * p * (1 - p))


def test_pairwise_over_many_blocks():
    # 4e6 pairs at p = 0.1 are cut into 7 blocks of ~65536 synapses; a lost or
    # repeated block would move the count by about 280 standard deviations.
    n, p = 2000, 0.1
    pre, post = C.connect({"p": p}, n, n, seed=5)
    assert_sorted(pre, post, n)
    within_sigmas(pre.size, n * n * p, n * n * p * (1 - p))
    # Rows near each block boundary hold as many synapses as any others.
    span = int(C._BLOCK / p)
    boundary_rows = np.unique(np.arange(span, n * n, span) // n)
    rows = np.bincount(pre, minlength=n)[boundary_rows]
    within_sigmas(rows.sum(), rows.size * n * p, rows.size * n * p * (1 - p))


@pytest.mark.parametrize("p", [1e-7, 0.7])
def test_pairwise_tiny_and_large_p(p):
    n = 3000 if p < 1e-3 else 300
    total = 0
    for seed in range(5):
        pre, post = C.connect({"p": p}, n, n, seed=seed)
        assert_sorted(pre, post, n)
        total += pre.size
    pairs = 5 * n * n
    within_sigmas(total, pairs * p, pairs * p * (1 - p))


def test_pairwise_zero_and_one():
    pre, post = C.connect({"p": 0}, 50, 40, seed=1)
    assert pre.size == 0 and pre.dtype == np.int32
    pre, post = C.connect({"p": 1}, 5, 5, seed=1, same_population=True)
    assert pre.size == 20 and not np.any(pre == post)


# -- fixed degrees and total ----------------------------------------------------------------

# (n, k): sparse draws (k * 16 <= n), a mask (k > n / 16) and its complement (k > n / 2).
DEGREE_CASES = [(2000, 20), (200, 40), (120, 100)]


@pytest.mark.parametrize("n,k", DEGREE_CASES)
def test_fixed_indegree_exact_distinct_no_autapses(n, k):
    n_post = 900
    pre, post = C.connect({"indegree": k}, n, n_post, seed=3)
    assert_sorted(pre, post, n_post)  # strict: no pair twice
    assert np.all(np.bincount(post, minlength=n_post) == k)
    # Each pre is chosen by each post with probability k / n, independently.
    outdeg = np.bincount(pre, minlength=n).astype(float)
    assert outdeg.mean() == pytest.approx(n_post * k / n)
    sample_variance_ok(outdeg, n_post * (k / n) * (1 - k / n), ddof=0)

    m = n  # one population: n - 1 candidates per post
    pre, post = C.connect(C.fixed_indegree(k), m, m, seed=3, same_population=True)
    assert_sorted(pre, post, m)
    assert not np.any(pre == post)
    assert np.all(np.bincount(post, minlength=m) == k)
    sample_variance_ok(np.bincount(pre, minlength=m).astype(float), (m - 1) * (k / (m - 1)) * (1 - k / (m - 1)),
                       ddof=0)


@pytest.mark.parametrize("n,k", DEGREE_CASES)
def test_fixed_outdegree_exact_distinct_no_autapses(n, k):
    n_pre = 900
    pre, post = C.connect({"outdegree": k}, n_pre, n, seed=4)
    assert_sorted(pre, post, n)
    assert np.all(np.bincount(pre, minlength=n_pre) == k)
    sample_variance_ok(np.bincount(post, minlength=n).astype(float), n_pre * (k / n) * (1 - k / n), ddof=0)
    pre, post = C.connect({"outdegree": k}, n, n, seed=4, same_population=True)
    assert_sorted(pre, post, n)
    assert not np.any(pre == post) and np.all(np.bincount(pre, minlength=n) == k)


@pytest.mark.parametrize("n,k", [(200, 10), (200, 40), (200, 150)])
def test_every_candidate_is_equally_likely(n, k):
    # Each pre is picked by each of 20000 posts with probability k / n: its
    # count is Binomial(20000, k / n).  5.5 sigma for each of the n counts keeps
    # the chance of a false alarm below 1e-5; a value never (or always) drawn
    # at the edges of [0, n) would stand out by 30 sigma or more.
    n_post = 20000
    pre, _ = C.connect({"indegree": k}, n, n_post, seed=12)
    counts = np.bincount(pre, minlength=n)
    q = k / n
    sd = math.sqrt(n_post * q * (1 - q))
    assert np.all(np.abs(counts - n_post * q) <= 5.5 * sd), (counts.min(), counts.max(), n_post * q, sd)


def test_degrees_with_multapses():
    n, k = 30, 30
    pre, post = C.connect({"indegree": k, "multapses": True}, n, 2000, seed=6)
    assert_sorted(pre, post, 2000, strict=False)
    assert np.all(np.bincount(post, minlength=2000) == k)
    # k draws with replacement from n: expected distinct n (1 - (1 - 1/n)^k) per post.
    distinct = np.unique(keys(pre, post, 2000)).size / 2000
    assert abs(distinct - n * (1 - (1 - 1 / n) ** k)) < 0.2
    pre, post = C.connect({"outdegree": 50, "multapses": True, "autapses": False}, 10, 10, seed=6,
                          same_population=True)
    assert_sorted(pre, post, 10, strict=False)
    assert np.all(np.bincount(pre, minlength=10) == 50) and not np.any(pre == post)


@pytest.mark.parametrize("total", [500, 8000, 15000, 40000])
def test_fixed_total_exact_and_uniform(total):
    n_pre, n_post = 200, 250  # 50000 pairs: sparse, mask and complement paths
    pre, post = C.connect({"total": total}, n_pre, n_post, seed=7)
    assert pre.size == total
    assert_sorted(pre, post, n_post)
    # Row counts are hypergeometric: total draws without replacement, n_post good of 50000.
    pairs = n_pre * n_post
    q = n_post / pairs
    var = total * q * (1 - q) * (pairs - total) / (pairs - 1)
    sample_variance_ok(np.bincount(pre, minlength=n_pre).astype(float), var, ddof=0)


def test_fixed_total_within_a_population_and_with_multapses():
    pre, post = C.connect({"total": 9000}, 100, 100, seed=8, same_population=True)
    assert pre.size == 9000 and not np.any(pre == post)
    assert_sorted(pre, post, 100)
    pre, post = C.connect(C.fixed_total(20000, multapses=True), 100, 100, seed=8)
    assert pre.size == 20000
    assert_sorted(pre, post, 100, strict=False)
    assert np.unique(keys(pre, post, 100)).size < 20000  # 2 draws per pair on average: repeats


def test_impossible_full_rules_at_the_limit():
    # k = n - 1 within one population: every other neuron.
    pre, post = C.connect({"indegree": 9}, 10, 10, seed=1, same_population=True)
    assert pre.size == 90 and np.unique(keys(pre, post, 10)).size == 90
    pre, post = C.connect({"total": 90}, 10, 10, seed=1, same_population=True)
    assert np.array_equal(keys(pre, post, 10), keys(*C.connect("all", 10, 10, seed=0, same_population=True), 10))


# -- reproducibility ------------------------------------------------------------------------

RANDOM_RULES = [{"p": 0.05}, {"indegree": 30}, {"outdegree": 30}, {"total": 20000},
                {"indegree": 30, "multapses": True}]


@pytest.mark.parametrize("rule", RANDOM_RULES)
def test_same_seed_same_edges_different_seed_different(rule):
    a = C.connect(rule, 700, 600, seed=42)
    np.random.seed(1)  # the global NumPy state plays no part
    b = C.connect(rule, 700, 600, seed=42)
    c = C.connect(rule, 700, 600, seed=43)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not (a[0].size == c[0].size and np.array_equal(a[1], c[1]) and np.array_equal(a[0], c[0]))


def test_seed_sequence_and_list_seeds():
    ss = np.random.SeedSequence(5, spawn_key=(2,))
    a = C.connect({"p": 0.1}, 300, 300, seed=ss)
    b = C.connect({"p": 0.1}, 300, 300, seed=ss)  # not advanced by the first call
    assert np.array_equal(a[1], b[1])
    c = C.connect({"p": 0.1}, 300, 300, seed=[1, 2, 3])
    d = C.connect({"p": 0.1}, 300, 300, seed=[1, 2, 4])
    assert not np.array_equal(c[1][:100], d[1][:100])


def test_block_streams_are_the_children_spawn_gives():
    root = np.random.SeedSequence(17)
    children = np.random.SeedSequence(17).spawn(3)
    for b in range(3):
        ours = C._block_rng(root, b).integers(0, 2**62, 4)
        theirs = np.random.Generator(np.random.PCG64(children[b])).integers(0, 2**62, 4)
        assert np.array_equal(ours, theirs)
    assert root.n_children_spawned == 0


def test_concurrent_builds_in_threads_match_serial():
    rule = {"indegree": 40}
    serial = C.connect(rule, 1000, 1000, seed=9, same_population=True)
    out = [None] * 4

    def work(i):
        out[i] = C.connect(rule, 1000, 1000, seed=9, same_population=True)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for pre, post in out:
        assert np.array_equal(pre, serial[0]) and np.array_equal(post, serial[1])


# -- forms, description, estimate -----------------------------------------------------------


@pytest.mark.parametrize("rule,built", [
    ("all", C.all_to_all()),
    ({"all": True, "autapses": True}, C.all_to_all(autapses=True)),
    ("one_to_one", C.one_to_one()),
    ({"p": 0.02}, C.pairwise(0.02)),
    ({"p": 0.02, "autapses": True}, C.pairwise(0.02, autapses=True)),
    ({"indegree": 64}, C.fixed_indegree(64)),
    ({"indegree": 64, "multapses": True}, C.fixed_indegree(64, multapses=True)),
    ({"outdegree": 8, "autapses": True}, C.fixed_outdegree(8, autapses=True)),
    ({"total": 1000}, C.fixed_total(1000)),
])
def test_toml_forms_and_constructors_agree_and_describe_round_trips(rule, built):
    assert C.normalise(rule) == built
    assert C.describe(built) == rule
    assert C.normalise(C.describe(rule)) == built


def test_estimate_count():
    assert C.estimate_count("all", 10, 20) == 200
    assert C.estimate_count("all", 10, 10, same_population=True) == 90
    assert C.estimate_count({"p": 0.02}, 4000, 4000) == 320000
    assert C.estimate_count({"indegree": 64}, 100, 3000) == 64 * 3000
    assert C.estimate_count({"outdegree": 5}, 100, 3000) == 500
    assert C.estimate_count({"total": 77}, 100, 3000) == 77
    assert C.estimate_count("one_to_one", 12, 12) == 12
    assert C.estimate_count({"pre": [0, 1], "post": [1, 1]}, 2, 2) == 2
    for rule in ({"indegree": 17}, {"outdegree": 3}, {"total": 999}):
        assert C.estimate_count(rule, 40, 50) == C.connect(rule, 40, 50, seed=1)[0].size
    with pytest.raises(ParameterError, match="larger than the source population"):
        C.estimate_count({"indegree": 101}, 100, 5)


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("rule,n_pre,n_post,same,match", [
    ("al", 5, 5, False, "unknown connection rule 'al'"),
    ({"probability": 0.1}, 5, 5, False, "unknown connection key 'probability'"),
    ({"p": 0.1, "indegree": 3}, 5, 5, False, "exactly one rule"),
    ({"autapses": True}, 5, 5, False, "exactly one rule"),
    ({"p": 1.5}, 5, 5, False, r"p = 1.5 is outside \[0, 1\]"),
    ({"p": -0.1}, 5, 5, False, r"outside \[0, 1\]"),
    ({"p": float("nan")}, 5, 5, False, r"outside \[0, 1\]"),
    ({"p": "0.1"}, 5, 5, False, "must be a number"),
    ({"p": True}, 5, 5, False, "must be a number"),
    ({"indegree": -1}, 5, 5, False, "whole number >= 0"),
    ({"indegree": 2.5}, 5, 5, False, "whole number >= 0"),
    ({"outdegree": -3}, 5, 5, False, "whole number >= 0"),
    ({"total": 1.5}, 5, 5, False, "whole number >= 0"),
    ({"indegree": 6}, 5, 10, False, "larger than the source population"),
    ({"indegree": 5}, 5, 5, True, "larger than the source population .*autapses off"),
    ({"outdegree": 11}, 5, 10, False, "larger than the target population"),
    ({"indegree": 1, "multapses": True}, 1, 1, True, "offers no neuron"),
    ({"total": 51}, 5, 10, False, "more than the 50 possible pairs"),
    ({"total": 1}, 0, 10, False, "no pair"),
    ("one_to_one", 5, 6, False, "equal size"),
    ("one_to_one", 5, 5, True, "autapses = true"),
    ({"pre": [0, 5], "post": [0, 1]}, 5, 5, False, "pre index 5 is out of range; accepted: 0 to 4"),
    ({"pre": [0, 1], "post": [-1, 1]}, 5, 5, False, "post index -1 is out of range"),
    ({"pre": [0, 1], "post": [0]}, 5, 5, False, "equal length"),
    ({"pre": [0, 1]}, 5, 5, False, "both pre and post"),
    ({"pre": [0.5], "post": [0]}, 5, 5, False, "whole-number neuron indices"),
    ({"pre": [[0]], "post": [0]}, 5, 5, False, "flat list"),
    ({"pre": [0], "post": [0], "autapses": True}, 5, 5, False, "autapses does not apply"),
    ({"p": 0.1, "multapses": True}, 5, 5, False, "multapses does not apply to 'pairwise'"),
    ({"p": 0.1, "autapses": "yes"}, 5, 5, False, "true or false"),
    ({"all": False}, 5, 5, False, "all = true"),
    (42, 5, 5, False, "a connection rule must be"),
    ("all", -1, 5, False, "n_pre must be a whole number"),
    ("all", 5, 6, True, "one population has one size"),
])
def test_bad_rules_raise_parameter_error(rule, n_pre, n_post, same, match):
    with pytest.raises(ParameterError, match=match) as info:
        C.connect(rule, n_pre, n_post, seed=1, same_population=same)
    assert isinstance(info.value, HHSimError) and "\n" not in str(info.value)


@pytest.mark.parametrize("seed", [-1, 1.5, "1", None, True, []])
def test_bad_seed(seed):
    with pytest.raises(ParameterError, match="seed must be"):
        C.connect({"p": 0.1}, 5, 5, seed=seed)


# -- memory ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rule,n_pre,n_post", [
    ("all", 1000, 1000),
    ({"p": 0.1}, 3163, 3163),
    ({"indegree": 100}, 10000, 10000),
    ({"indegree": 400}, 1000, 2500),
    ({"outdegree": 100}, 10000, 10000),
    ({"total": 10**6}, 10000, 10000),
    ({"total": 10**6}, 1000, 1500),
])
def test_peak_memory_below_50_bytes_per_synapse(rule, n_pre, n_post):
    tracemalloc.start()
    try:
        pre, post = C.connect(rule, n_pre, n_post, seed=1, same_population=(n_pre == n_post))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert pre.size > 0.9e6
    assert peak / pre.size < 50.0, peak / pre.size


def test_blocks_drawn_on_several_threads_give_the_pairs_of_one(monkeypatch):
    """A large projection's blocks are drawn on every core; each block has its own
    stream, so the synapses are the same on one core and on four."""
    n, p = 3000, 0.3  # 2.7 million synapses: about 41 blocks of 65,536
    assert n * n * p / C._BLOCK > C._MIN_THREADED_BLOCKS
    pools = []
    real_pool = C.ThreadPoolExecutor

    def counted_pool(*args, **kwargs):
        pools.append(kwargs.get("max_workers"))
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(C, "ThreadPoolExecutor", counted_pool)
    runs = []
    for cores in (1, 4):
        monkeypatch.setattr(C.cpu_load, "cores", lambda cores=cores: cores)
        runs.append(C.connect({"p": p}, n, n, seed=[7, 3]))
    assert pools == [4]  # one core: no pool; four: a pool of four
    (pre1, post1), (pre4, post4) = runs
    np.testing.assert_array_equal(pre1, pre4)
    np.testing.assert_array_equal(post1, post4)
    assert_sorted(pre4, post4, n)
