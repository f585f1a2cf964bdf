// Shared helpers for kernel tests: guarded native buffers, seeded fills and a max-difference comparison that reports itself.
using System.Runtime.InteropServices;
using System.Text.Json;
using Functional.Kernels;
using Xunit.Abstractions;

namespace Functional.Tests.Kernels;

/// <summary>
/// A float buffer with sentinel guards on both sides, pinned for the kernels' raw pointers. A kernel that
/// writes (or a vector store that spills) outside its buffer changes a guard, which <see cref="AssertGuardsIntact"/> reports.
/// </summary>
internal sealed unsafe class Guarded
{
    /// <summary>Wider than two 512-bit vectors, so any spill from a vector tile lands in the guard.</summary>
    public const int GuardLength = 48;

    /// <summary>A NaN with a recognisable payload: no kernel computes it, and a float compare never hides it.</summary>
    public static readonly float Sentinel = BitConverter.Int32BitsToSingle(0x7FC0BEEF);

    private readonly float[] storage;

    public Guarded(int length)
    {
        Length = length;
        storage = GC.AllocateArray<float>(length + 2 * GuardLength, pinned: true);
        storage.AsSpan().Fill(Sentinel);
        Pointer = (float*)Marshal.UnsafeAddrOfPinnedArrayElement(storage, GuardLength);
    }

    public Guarded(ReadOnlySpan<float> values) : this(values.Length) => values.CopyTo(Span);

    public int Length { get; }

    /// <summary>The first element inside the guards; stable because the array lives on the pinned heap.</summary>
    public float* Pointer { get; }

    public Span<float> Span => storage.AsSpan(GuardLength, Length);

    public float[] ToArray() => Span.ToArray();

    public void AssertGuardsIntact(string name)
    {
        for (int i = 0; i < GuardLength; i++)
        {
            Assert.True(Same(storage[i], Sentinel), $"{name}: guard {GuardLength - i} float(s) before the buffer was overwritten with {storage[i]}");
            int after = GuardLength + Length + i;
            Assert.True(Same(storage[after], Sentinel), $"{name}: guard {i} float(s) after the buffer (length {Length}) was overwritten with {storage[after]}");
        }
    }

    private static bool Same(float a, float b) => BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b);
}

internal static class Fill
{
    /// <summary>Uniform in [−scale, scale), from a fixed seed.</summary>
    public static float[] Uniform(int length, long seed, float scale = 1f)
    {
        var random = new SeededRandom(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)((2 * random.NextDouble() - 1) * scale);
        return values;
    }

    /// <summary>What a ReLU layer leaves behind: about half exact zeros, the rest positive.</summary>
    public static float[] ReluOutputs(int length, long seed)
    {
        var values = Uniform(length, seed);
        for (int i = 0; i < length; i++) values[i] = Math.Max(0f, values[i]);
        return values;
    }

    public static float MaxAbs(ReadOnlySpan<float> values)
    {
        float max = 0;
        foreach (var v in values) max = Math.Max(max, Math.Abs(v));
        return max;
    }
}

internal static class Compare
{
    /// <summary>The largest |actual − expected|, infinite if any element is NaN or infinite in one but not the other.</summary>
    public static double MaxDifference(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, out int worst)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        worst = -1;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            if (worst < 0 || d > max) { max = d; worst = i; }
        }
        return max;
    }

    public static double[] Widen(ReadOnlySpan<float> values) => Reference.Widen(values);
}

/// <summary>Pins every width in turn; widths this CPU lacks run emulated but must still be exact.</summary>
internal static class Widths
{
    public static readonly Isa[] All = [Isa.Scalar, Isa.Vector128, Isa.Vector256, Isa.Vector512];
}

/// <summary>Reading the torch fixtures (TorchReference/, written by bench/conv_reference.py) and comparing against them element by element.</summary>
internal static class TorchFixture
{
    /// <summary>Every fixture in <paramref name="folder"/> (not its subfolders) at every width.</summary>
    public static TheoryData<string, Isa> Cases(string folder)
    {
        var data = new TheoryData<string, Isa>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order())
            foreach (var isa in Widths.All) data.Add(Path.GetFileNameWithoutExtension(file), isa);
        return data;
    }

    public static float[] Floats(JsonElement root, string name) => [.. root.GetProperty(name).EnumerateArray().Select(e => e.GetSingle())];

    public static int Int(JsonElement root, string name) => root.GetProperty(name).GetInt32();

    /// <summary>Every |ours[i] − torch[i]| within <paramref name="bound"/>(i), a NaN never; the largest difference goes to the test output.</summary>
    public static void Close(ITestOutputHelper output, string what, string name, Isa isa, float[] ours, float[] torch, Func<int, double> bound)
    {
        Assert.Equal(torch.Length, ours.Length);
        double worst = 0;
        for (int i = 0; i < torch.Length; i++)
        {
            double d = Math.Abs((double)ours[i] - torch[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            worst = Math.Max(worst, d);
            Assert.True(d <= bound(i), $"{name} {what} at {isa}: [{i}] ours {ours[i]:R}, torch {torch[i]:R} (|Δ| {d:E3}, bound {bound(i):E3})");
        }
        output.WriteLine($"TORCH {name} {what} {isa}: max |Δ| {worst:E3}");
    }
}
