// BenchmarkDotNet suites for the products of the example network's layers, one thread and two, and the optimizer pass.
using BenchmarkDotNet.Attributes;
using Functional.Kernels;
using Functional.Optimizers;

namespace Functional.Benchmarks;

/// <summary>
/// The three products of a dense layer at the example's shapes. Rates are reported as GFLOP/s by dividing
/// 2·M·K·N by the mean; `peak` prints the same rates against the measured FMA peak.
/// </summary>
[MemoryDiagnoser]
public unsafe class GemmBenchmarks
{
    [Params(1, 64, 256)] public int Batch;
    [Params(1, 2)] public int Threads;

    private float[] x = [], w1 = [], b1 = [], y1 = [], dz1 = [], dw1 = [];
    private float[] h1 = [], w2 = [], dz2 = [], dx2 = [];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads;
        x = Fill(Batch * 784); w1 = Fill(784 * 256); b1 = Fill(256); y1 = Fill(Batch * 256); dz1 = Fill(Batch * 256); dw1 = Fill(784 * 256);
        h1 = Fill(Batch * 256); w2 = Fill(256 * 128); dz2 = Fill(Batch * 128); dx2 = Fill(Batch * 256);
    }

    private static float[] Fill(int n)
    {
        var random = new SeededRandom(n);
        var values = GC.AllocateArray<float>(n, pinned: true);
        for (int i = 0; i < n; i++) values[i] = (float)(random.NextDouble() - 0.5);
        return values;
    }

    [Benchmark(Description = "784→256 forward x·W+b, ReLU")]
    public void Forward784x256() => Gemm.Forward<Relu>(x, w1, b1, y1, Batch, 784, 256);

    [Benchmark(Description = "784→256 weight gradient xᵀ·dz")]
    public void WeightGradient784x256() => Gemm.WeightGradient(x, dz1, dw1, Batch, 784, 256);

    [Benchmark(Description = "256→128 input gradient dz·Wᵀ ⊙ ReLU′")]
    public void InputGradient256x128() => Gemm.InputGradient<Relu>(dz2, w2, h1, dx2, Batch, 256, 128);
}

/// <summary>Momentum SGD over the example's 235,146 parameters: one fused pass.</summary>
[MemoryDiagnoser]
public class OptimizerBenchmarks
{
    [Params(1, 2)] public int Threads;
    private readonly float[] parameters = new float[BenchMlp.ParameterCount], gradient = new float[BenchMlp.ParameterCount];
    private readonly Optimizer optimizer = Sgd.Momentum(0.01f, 0.9f);
    private OptimizerState state = null!;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads;
        state = optimizer.Init(BenchMlp.ParameterCount);
        Array.Fill(gradient, 1e-3f);
    }

    [Benchmark(Description = "SGD momentum, 235,146 parameters")]
    public void Momentum() => optimizer.ApplyInPlace(parameters, gradient, state);
}
