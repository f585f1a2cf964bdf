// SeededRandom: reproducible sequences pinned to xoshiro256**, and the statistics of its integers, doubles and Gaussians.
namespace Functional.Tests.Randomness; // not "…Random": a namespace of that name would hide System.Random in sibling test namespaces

public sealed class SeededRandomTests
{
    /// <summary>
    /// First outputs of xoshiro256** seeded by SplitMix64, computed by an independent implementation (Python, from
    /// Vigna's reference C). The class promises the same numbers on every runtime; these pin that promise.
    /// </summary>
    public static TheoryData<long, ulong[]> KnownSequences() => new()
    {
        { 0, [0x99ec5f36cb75f2b4, 0xbf6e1f784956452a, 0x1a5f849d4933e6e0, 0x6aa594f1262d2d2c] },
        { 42, [0x15780b2e0c2ec716, 0x6104d9866d113a7e, 0xae17533239e499a1, 0xecb8ad4703b360a1] },
        { -1, [0x8f5520d52a7ead08, 0xc476a018caa1802d, 0x81de31c0d260469e, 0xbf658d7e065f3c2f] },
    };

    [Theory]
    [MemberData(nameof(KnownSequences))]
    public void The_sequence_is_xoshiro256_starstar_seeded_by_SplitMix64(long seed, ulong[] expected)
    {
        var random = new SeededRandom(seed);
        Assert.Equal(expected, expected.Select(_ => random.NextUInt64()).ToArray());
    }

    [Fact]
    public void NextDouble_uses_the_top_53_bits()
    {
        Assert.Equal(0x15780b2e0c2ec716UL >> 11, (ulong)(new SeededRandom(42).NextDouble() * (1UL << 53)));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(123456789L)]
    [InlineData(long.MinValue)]
    public void The_same_seed_gives_the_same_sequence_of_every_kind(long seed)
    {
        SeededRandom a = new(seed), b = new(seed);
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(a.NextUInt64(), b.NextUInt64());
            Assert.Equal(a.NextDouble(), b.NextDouble());
            Assert.Equal(a.NextInt(1 + i), b.NextInt(1 + i));
            Assert.Equal(a.NextGaussian(), b.NextGaussian());
        }
        Assert.Equal(new SeededRandom(seed).Permutation(100), new SeededRandom(seed).Permutation(100));
    }

    [Fact]
    public void Different_seeds_give_different_sequences()
    {
        long[] seeds = [0, 1, 2, -1, 42, 43, long.MaxValue, long.MinValue];
        var firsts = seeds.Select(s => { var r = new SeededRandom(s); return (r.NextUInt64(), r.NextUInt64()); }).ToArray();
        Assert.Equal(seeds.Length, firsts.Distinct().Count());

        // Neighbouring seeds share no value early on, not just the first.
        SeededRandom a = new(7), b = new(8);
        var seen = new HashSet<ulong>(Enumerable.Range(0, 1000).Select(_ => a.NextUInt64()));
        Assert.DoesNotContain(Enumerable.Range(0, 1000).Select(_ => b.NextUInt64()), seen.Contains);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(1000)]
    [InlineData(int.MaxValue)]
    public void NextInt_stays_in_range(int bound)
    {
        var random = new SeededRandom(bound);
        int min = int.MaxValue, max = int.MinValue;
        for (int i = 0; i < 20_000; i++)
        {
            int v = random.NextInt(bound);
            Assert.InRange(v, 0, bound - 1);
            min = Math.Min(min, v); max = Math.Max(max, v);
        }
        if (bound <= 10) Assert.Equal((0, bound - 1), (min, max));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void NextInt_rejects_a_bound_that_is_not_positive(int bound)
    {
        Assert.Equal("bound", Assert.Throws<ArgumentOutOfRangeException>(() => new SeededRandom(1).NextInt(bound)).ParamName);
    }

    /// <summary>
    /// χ² over 100k draws with a fixed seed. The bound is the mean plus six standard deviations of χ²(k−1)
    /// (mean k−1, variance 2(k−1)): a correct generator passes by a wide margin, while a bias of a few percent
    /// in one bin, or an off-by-one range, fails it.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(1000)]
    public void NextInt_is_roughly_uniform(int bound)
    {
        const int draws = 100_000;
        var random = new SeededRandom(20240 + bound);
        var counts = new int[bound];
        for (int i = 0; i < draws; i++) counts[random.NextInt(bound)]++;

        double expected = (double)draws / bound;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        int df = bound - 1;
        double limit = df + 6 * Math.Sqrt(2.0 * df);
        Assert.True(chiSquare <= limit, $"χ² = {chiSquare:F1} over {bound} bins exceeds {limit:F1} (df {df}); counts {string.Join(", ", counts.Take(10))}…");
    }

    /// <summary>
    /// bound ≈ 2³²/2.5: of the 2³² raw values, the lower half of [0, bound) is reached three ways and the upper half
    /// two, so a naive (x mod bound) lands in the lower half 60% of the time. Lemire's rejection keeps it at 50%.
    /// </summary>
    [Fact]
    public void NextInt_is_unbiased_for_a_bound_that_does_not_divide_two_to_the_32()
    {
        const int bound = 1_717_986_918;
        var random = new SeededRandom(5);
        int low = 0;
        const int draws = 60_000;
        for (int i = 0; i < draws; i++) if (random.NextInt(bound) < bound / 2) low++;
        // Standard error √(0.25/n) ≈ 0.002.
        Assert.InRange((double)low / draws, 0.5 - 0.012, 0.5 + 0.012);
    }

    [Fact]
    public void NextDouble_is_in_the_unit_interval_with_mean_one_half()
    {
        var random = new SeededRandom(11);
        double sum = 0;
        const int draws = 100_000;
        for (int i = 0; i < draws; i++)
        {
            double u = random.NextDouble();
            Assert.True(u >= 0 && u < 1, $"NextDouble gave {u}");
            sum += u;
        }
        // Standard error of the mean is √(1/12)/√n ≈ 0.0009.
        Assert.InRange(sum / draws, 0.5 - 0.005, 0.5 + 0.005);
    }

    [Fact]
    public void NextGaussian_has_mean_zero_and_standard_deviation_one()
    {
        const int draws = 100_000;
        var random = new SeededRandom(12345);
        double sum = 0, sumSquares = 0;
        int withinOne = 0;
        for (int i = 0; i < draws; i++)
        {
            double g = random.NextGaussian();
            Assert.True(double.IsFinite(g), $"NextGaussian gave {g}");
            sum += g; sumSquares += g * g;
            if (Math.Abs(g) < 1) withinOne++;
        }
        double mean = sum / draws, std = Math.Sqrt(sumSquares / draws - mean * mean);
        // Standard errors: mean 1/√n ≈ 0.0032, std 1/√(2n) ≈ 0.0022; the bounds are about five of them.
        Assert.True(Math.Abs(mean) < 0.016, $"mean {mean}");
        Assert.True(Math.Abs(std - 1) < 0.012, $"std {std}");
        // P(|Z| < 1) = 0.6827: catches a right-variance but wrong-shape distribution (e.g. uniform has 0.577).
        Assert.InRange((double)withinOne / draws, 0.6827 - 0.008, 0.6827 + 0.008);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(1000)]
    public void Permutation_contains_every_index_exactly_once(int count)
    {
        var p = new SeededRandom(count + 3).Permutation(count);
        Assert.Equal(count, p.Length);
        Assert.Equal(Enumerable.Range(0, count), p.Order());
    }

    [Fact]
    public void Permutation_actually_shuffles_and_each_position_sees_every_value()
    {
        var identity = Enumerable.Range(0, 1000).ToArray();
        Assert.NotEqual(identity, new SeededRandom(1).Permutation(1000));

        // Over many 4-element shuffles, every value lands in every position about a quarter of the time.
        var counts = new int[4, 4];
        var random = new SeededRandom(99);
        const int shuffles = 40_000;
        for (int s = 0; s < shuffles; s++)
        {
            var p = random.Permutation(4);
            for (int position = 0; position < 4; position++) counts[position, p[position]]++;
        }
        foreach (var c in counts) Assert.InRange(c, shuffles / 4 - 600, shuffles / 4 + 600);
    }
}
