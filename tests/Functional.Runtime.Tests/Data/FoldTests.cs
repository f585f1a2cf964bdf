// Tests of the seeded splits: partitions, class balance, determinism, and preprocessing fitted inside each fold.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Functional.Data;

namespace Functional.Tests.Data;

public sealed class FoldTests
{
    /// <summary>A set with unequal classes (sizes drawn by FsCheck), the row index stored as its only feature.</summary>
    private static Dataset Unbalanced(int[] classSizes)
    {
        var labels = classSizes.SelectMany((size, c) => Enumerable.Repeat(c, size)).ToArray();
        // Interleave classes a little so file order is not class order.
        var order = Enumerable.Range(0, labels.Length).OrderBy(i => (i * 7919) % labels.Length).ToArray();
        labels = [.. order.Select(i => labels[i])];
        var features = Enumerable.Range(0, labels.Length).Select(i => (float)i).ToArray();
        return Dataset.Create("rows", features, labels, 1, classSizes.Length).ThrowIfFail();
    }

    private static int[] Rows(Dataset d) => [.. d.Features.ToArray().Select(f => (int)f)];

    [Property(MaxTest = 80)]
    public void Stratified_folds_partition_the_rows_and_balance_every_class(PositiveInt seed, byte kPick, byte[] sizes)
    {
        var classSizes = sizes.Take(6).Select(s => s % 40 + 1).Append(3).Prepend(5).ToArray();
        var data = Unbalanced(classSizes);
        int k = 2 + kPick % 4;
        var folds = Folds.Stratified(data, k, seed.Get);

        Assert.Equal(k, folds.Count);
        var validated = folds.SelectMany(f => Rows(f.Validation)).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, data.Count), validated);
        foreach (var f in folds)
        {
            Assert.Equal(data.Count, f.Train.Count + f.Validation.Count);
            Assert.Empty(Rows(f.Train).Intersect(Rows(f.Validation)));
        }
        var sizesPerFold = folds.Select(f => f.Validation.Count).ToArray();
        Assert.True(sizesPerFold.Max() - sizesPerFold.Min() <= 1, $"fold sizes {string.Join(", ", sizesPerFold)}");
        for (int c = 0; c < classSizes.Length; c++)
        {
            var perFold = folds.Select(f => f.Validation.Labels.ToArray().Count(l => l == c)).ToArray();
            Assert.True(perFold.Max() - perFold.Min() <= 1, $"class {c} ({classSizes[c]} rows) split {string.Join(", ", perFold)}");
        }
    }

    [Property(MaxTest = 80)]
    public void Stratified_hold_out_keeps_each_class_share_within_one_row(PositiveInt seed, byte[] sizes, byte fraction)
    {
        var classSizes = sizes.Take(6).Select(s => s % 40 + 1).Append(7).Prepend(9).ToArray();
        var data = Unbalanced(classSizes);
        int m = 1 + fraction % (data.Count - 1);
        var split = Folds.HoldOut(data, m, seed.Get);

        Assert.Equal(m, split.Validation.Count);
        Assert.Equal(Enumerable.Range(0, data.Count), Rows(split.Train).Concat(Rows(split.Validation)).Order());
        for (int c = 0; c < classSizes.Length; c++)
        {
            double expected = (double)m * classSizes[c] / data.Count;
            int got = split.Validation.Labels.ToArray().Count(l => l == c);
            Assert.True(Math.Abs(got - expected) < 1 + 1e-9, $"class {c}: {got} rows held out, expected {expected:F2}");
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_folds_and_another_seed_other_folds()
    {
        var data = Unbalanced([30, 20, 10]);
        var a = Folds.Stratified(data, 5, seed: 1).Select(f => Rows(f.Validation)).ToList();
        var b = Folds.Stratified(data, 5, seed: 1).Select(f => Rows(f.Validation)).ToList();
        var c = Folds.Stratified(data, 5, seed: 2).Select(f => Rows(f.Validation)).ToList();

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Preprocessing_inside_a_fold_is_fitted_on_its_training_part_only()
    {
        var data = Unbalanced([30, 20, 10]);
        var fold = Folds.Stratified(data, 3, seed: 4)[1];
        var (processed, fitted) = fold.Preprocess(Preprocess.Standardize());

        Assert.Equal(Preprocess.Standardize().Fit(fold.Train), fitted);
        Assert.NotEqual(Preprocess.Standardize().Fit(data), fitted);
        Assert.Equal(fitted.Apply(fold.Validation).Features.ToArray(), processed.Validation.Features.ToArray());
    }

    [Fact]
    public void Impossible_k_is_refused_with_the_set_named()
    {
        var data = Unbalanced([2, 1]);
        Assert.Contains("rows (3 rows) needs 2 ≤ k ≤ 3", Assert.Throws<ArgumentOutOfRangeException>(() => Folds.Stratified(data, 4, 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Folds.Stratified(data, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Folds.HoldOut(data, 3, 1));
    }
}
