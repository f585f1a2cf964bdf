// BenchmarkDotNet suites for whole training steps and batch-1 inference of the example network.
using BenchmarkDotNet.Attributes;
using Functional.Data;
using Functional.Kernels;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.Benchmarks;

/// <summary>
/// Training steps through the real fold (gather, forward, loss, backward, optimizer) on random data of
/// Fashion-MNIST's shape, reported per step, with SGD momentum and Adam (both fused into backward) and with a chain
/// that clips by the global norm before Adam (a separate pass after backward); and batch-1 inference. The allocation
/// column is the fold's one-off copies (parameters, state, gradient) amortised over the batches of an invocation;
/// `allocations` counts the steps alone, which allocate 0 B.
/// </summary>
[MemoryDiagnoser]
public class StepBenchmarks
{
    [Params(1, 64, 256)] public int Batch;
    [Params(1, 2)] public int Threads;
    [Params("momentum", "adam", "clip+adam")] public string Optimizer = "momentum";

    private const int Steps = 64;
    private Batch[] batches = [];
    private TrainState<BenchMlp> state = null!;
    private Dataset data = null!;

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads;
        // Enough rows for Steps full batches at the largest batch size, so every invocation runs exactly Steps steps.
        const int rows = Steps * 256;
        var random = new SeededRandom(3);
        var features = new float[rows * 784];
        for (int i = 0; i < features.Length; i++) features[i] = (float)random.NextGaussian();
        data = Dataset.Create("random", features, Enumerable.Range(0, rows).Select(i => i % 10).ToArray(), 784, 10).ThrowIfFail();
        batches = data.Batches(Batch, 1).Take(Steps).ToArray();
        state = TrainState.Of(BenchMlp.Init(7), Optimizer switch
        {
            "momentum" => Sgd.Momentum(0.01f, 0.9f),
            "adam" => Optimizers.Optimizer.Adam(1e-3f),
            "clip+adam" => Optimizers.Optimizer.Chain(new ClipByGlobalNorm(1f), Optimizers.Optimizer.Adam(1e-3f)),
            _ => throw new ArgumentException($"unknown optimizer {Optimizer}"),
        });
    }

    [Benchmark(OperationsPerInvoke = Steps, Description = "training step (fold)")]
    public void TrainingStep() => state = batches.Fold(state, BenchMlp.Step);
}

/// <summary>Batch-1 inference: three products of one row, bound by reading the 940 KB of weights.</summary>
[MemoryDiagnoser]
public class InferenceBenchmarks
{
    [Params(1, 2)] public int Threads;

    private BenchMlp model = null!;
    private BenchMlp.Workspace workspace = null!;
    private readonly float[] input = new float[784], scores = new float[BenchMlp.ClassCount];

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.Threads = Threads;
        model = BenchMlp.Init(7);
        workspace = new BenchMlp.Workspace(1);
        var random = new SeededRandom(4);
        for (int i = 0; i < input.Length; i++) input[i] = (float)random.NextGaussian();
    }

    [Benchmark(Description = "inference, one row")]
    public void InferOne() => BenchMlp.Infer(model.Parameters.Span, model.Buffers.Span, input, 1, scores, workspace);
}
