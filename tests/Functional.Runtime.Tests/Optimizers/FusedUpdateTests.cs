// The optimizer fused into the weight gradient: bit for bit the unfused product followed by the optimizer's own pass.
using Functional.Kernels;
using Functional.Optimizers;
using Functional.Tests.Kernels;

namespace Functional.Tests.Optimizers;

/// <remarks>Sets the process-wide <see cref="Parallelism.Threads"/>, so it runs in the thread-setting collection.</remarks>
[Collection(ThreadSettingCollection.Name)]
public sealed class FusedUpdateTests
{
    /// <summary>
    /// Batch 1 (the rank-one row pass; with L2 the streaming row split), batches 3 and 4 (streaming, split by rows,
    /// up to three blocks of 120 rows and a ragged end), and larger batches through the packed row split: one or
    /// several row blocks, rows not a multiple of six, two k blocks (batch 450), x transposed first (batch × inputs
    /// over 64 K), and the example's 784 × 256 layer. Every shape on 1, 2 and 3 threads.
    /// </summary>
    public static TheoryData<Isa, int, int, int, int, string, float> Cases()
    {
        var data = new TheoryData<Isa, int, int, int, int, string, float>();
        var shapes = new[]
        {
            (1, 3, 1), (1, 7, 17), (1, 257, 255), (1, 784, 256), (1, 2, 9), (3, 17, 7), (4, 301, 40),
            (64, 33, 20), (64, 784, 256), (130, 250, 37), (450, 150, 19), (100, 700, 33),
        };
        foreach (var isa in new[] { Isa.Scalar, Isa.Vector128, Isa.Vector256, Isa.Vector512 })
            foreach (var (batch, inputs, outputs) in shapes)
                foreach (int threads in new[] { 1, 2, 3 })
                    foreach (string rule in Rules.Keys)
                        foreach (float l2 in new[] { 0f, 0.01f })
                            data.Add(isa, threads, batch, inputs, outputs, rule, l2);
        return data;
    }

    /// <summary>
    /// Two steps (so the velocity is not zero going into the second) of the fused weight gradient against the same
    /// steps unfused: g written to dW (the product split by columns), then λW and the optimizer's ApplyInPlace.
    /// Batch 1 without L2 takes the rank-one row pass; the rest the product split by rows with the step applied to
    /// each finished block; all must leave θ and v identical to the last bit.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_weight_gradient_equals_writing_the_gradient_then_applying_the_optimizer(Isa isa, int threads, int batch, int inputs, int outputs, string rule, float l2)
    {
        var optimizer = Rules[rule];
        int n = inputs * outputs;
        float[] fused = Fill.Uniform(n, 81), separate = (float[])fused.Clone();
        var fusedState = optimizer.Init(n);
        var separateState = optimizer.Init(n);
        var scratch = new float[n];
        var dW = new float[n];
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            using (Cpu.Pin(isa))
                for (int step = 0; step < 2; step++)
                {
                    float[] x = Fill.Uniform(batch * inputs, 82 + step), dz = Fill.Uniform(batch * outputs, 84 + step);
                    Assert.True(optimizer.TryFuse(fused, fusedState, out var update));
                    Gemm.WeightGradient(x, dz, fused, scratch, batch, inputs, outputs, l2, update);
                    Gemm.WeightGradient(x, dz, separate, dW, batch, inputs, outputs, l2, default);
                    optimizer.ApplyInPlace(separate, dW, separateState);
                }
        }
        finally { Parallelism.Threads = saved; }

        string where = $"{isa}, {threads} thread(s), {batch}×{inputs}×{outputs}, {rule}, λ {l2}";
        Assert.True(fused.AsSpan().SequenceEqual(separate), $"{where}: θ differs at {FirstDifference(fused, separate)}");
        Assert.Equal(separateState.Blocks.Keys.Order(), fusedState.Blocks.Keys.Order());
        foreach (var (name, block) in separateState.Blocks)
        {
            float[] a = fusedState.Blocks[name].ToArray(), b = block.ToArray();
            Assert.True(a.AsSpan().SequenceEqual(b), $"{where}: the state's {name} differs at {FirstDifference(a, b)}");
        }
        Assert.Equal(2, fusedState.StepCount);
    }

    public static TheoryData<Isa, string, int> InPlaceCases()
    {
        var data = new TheoryData<Isa, string, int>();
        foreach (var isa in new[] { Isa.Scalar, Isa.Vector128, Isa.Vector256, Isa.Vector512 })
            foreach (string rule in Rules.Keys.Concat(Shapes.Keys))
                foreach (int length in new[] { 1, 7, 1023, 1025, 3001 })
                    data.Add(isa, rule, length);
        return data;
    }

    /// <summary>
    /// The in-place step (which runs a chain's last rule and its learning rate as one pass over each piece, writing θ and
    /// never the update) against the pure Update followed by θ + u: three steps, θ and every state block equal to the
    /// last bit, for every rule and for chains whose last links are not a rule followed by one scale.
    /// </summary>
    [Theory]
    [MemberData(nameof(InPlaceCases))]
    public void The_in_place_step_equals_the_pure_update_added_to_the_parameters(Isa isa, string rule, int length)
    {
        var optimizer = Rules.TryGetValue(rule, out var r) ? r : Shapes[rule];
        float[] inPlace = Fill.Uniform(length, 91), pure = (float[])inPlace.Clone();
        var inPlaceState = optimizer.Init(length);
        var pureState = optimizer.Init(length);
        using (Cpu.Pin(isa))
            for (int step = 0; step < 3; step++)
            {
                float[] g = Fill.Uniform(length, 92 + step);
                optimizer.ApplyInPlace(inPlace, g, inPlaceState);
                var (updates, next) = optimizer.Update(g, pureState, pure);
                pure = Optimizer.Apply(pure, updates);
                pureState = next;
            }
        string where = $"{isa}, {rule}, {length} parameters";
        Assert.True(inPlace.AsSpan().SequenceEqual(pure), $"{where}: θ differs at {FirstDifference(inPlace, pure)}");
        foreach (var (name, block) in pureState.Blocks)
        {
            float[] a = inPlaceState.Blocks[name].ToArray(), b = block.ToArray();
            Assert.True(a.AsSpan().SequenceEqual(b), $"{where}: the state's {name} differs at {FirstDifference(a, b)}");
        }
    }

    /// <summary>Chains whose in-place step takes the general path, or a scale that is not a learning rate.</summary>
    private static readonly Dictionary<string, Optimizer> Shapes = new()
    {
        ["lone lr"] = new ScaleByLearningRate(0.05f),
        ["lone trace"] = new Trace(0.9f),
        ["damped momentum"] = Optimizer.Chain(new Trace(0.9f, dampening: 0.3f), new ScaleByLearningRate(0.05f)),
        ["momentum, plateau"] = Optimizer.Chain(new Trace(0.9f), new ScaleByLearningRate(0.05f), new ReduceOnPlateau()),
        ["lr, trace"] = Optimizer.Chain(new ScaleByLearningRate(0.05f), new Trace(0.9f)),
        ["decay 0, adam, lr"] = Optimizer.Chain(new AddDecayedWeights(0f), new ScaleByAdam(), new ScaleByLearningRate(1e-3f)),
    };

    /// <summary>Every elementwise rule, with the hyperparameters it is usually run with.</summary>
    private static readonly Dictionary<string, Optimizer> Rules = new()
    {
        ["sgd"] = Sgd.Plain(0.05f),
        ["momentum"] = Sgd.Momentum(0.05f, 0.9f),
        ["nesterov"] = Sgd.Nesterov(0.05f, 0.9f, weightDecay: 1e-3f),
        ["damped nesterov"] = Optimizer.Chain(new Trace(0.9f, nesterov: true, dampening: 0.3f), new ScaleByLearningRate(0.05f)),
        ["adagrad"] = Optimizer.AdaGrad(0.05f, lrDecay: 0.01f),
        ["rmsprop"] = Optimizer.RmsProp(0.01f, momentum: 0.9f, centered: true),
        ["adam"] = Optimizer.Adam(1e-3f, weightDecay: 1e-4f),
        ["adamw"] = Optimizer.AdamW(1e-3f),
    };

    [Fact]
    public void An_update_bound_to_another_tensor_is_refused()
    {
        var optimizer = Sgd.Momentum(0.1f);
        float[] weights = new float[12], other = new float[12];
        var state = optimizer.Init(12);
        ArgumentException? error = null;
        try
        {
            Assert.True(optimizer.TryFuse(other, state, out var update));
            Gemm.WeightGradient(new float[3], new float[4], weights, new float[12], 1, 3, 4, 0f, update);
        }
        catch (ArgumentException e) { error = e; }
        Assert.NotNull(error);
        Assert.Equal("update", error.ParamName);
        Assert.All(weights, w => Assert.Equal(0f, w));
    }

    public static TheoryData<Isa, int, int, string, float> ConvolutionCases()
    {
        var data = new TheoryData<Isa, int, int, string, float>();
        foreach (var isa in new[] { Isa.Scalar, Isa.Vector128, Isa.Vector256, Isa.Vector512 })
            for (int shape = 0; shape < ConvolutionShapes.Length; shape++)
                foreach (int threads in new[] { 1, 2 })
                    foreach (string rule in Rules.Keys)
                        foreach (float l2 in new[] { 0f, 0.01f })
                            data.Add(isa, threads, shape, rule, l2);
        return data;
    }

    /// <summary>Stride 2 with padding and a ragged output; one channel and a kernel as large as the padded input allows; the reference CNN's second layer at batch 3.</summary>
    private static readonly Conv2dShape[] ConvolutionShapes =
        [new(2, 3, 7, 5, 4, 3, 3, 2, 1), new(1, 1, 6, 6, 2, 5, 5, 1, 2), new(3, 16, 14, 14, 32, 5, 5, 1, 2)];

    /// <summary>
    /// A convolution's parameter block [b | W], two steps: fused — W's update taken row by row inside the weight
    /// gradient (bound to the W slice, so at an offset in the block), then b's gradient applied through its slice —
    /// against unfused — dW and db written, λW added, the optimizer's ApplyInPlace over the block. θ and every state
    /// block must agree to the last bit.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConvolutionCases))]
    public void Fused_convolution_weight_gradient_equals_writing_the_gradient_then_applying_the_optimizer(Isa isa, int threads, int shape, string rule, float l2)
    {
        var s = ConvolutionShapes[shape];
        var optimizer = Rules[rule];
        int n = s.Filters + s.WeightCount;
        float[] fused = Fill.Uniform(n, 61), separate = (float[])fused.Clone();
        var fusedState = optimizer.Init(n);
        var separateState = optimizer.Init(n);
        var (scratch, dBias, gradient) = (new float[s.WeightCount], new float[s.Filters], new float[n]);
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            using (Cpu.Pin(isa))
                for (int step = 0; step < 2; step++)
                {
                    float[] x = Fill.Uniform(s.Batch * s.InputSize, 62 + step), dz = Fill.Uniform(s.Batch * s.OutputSize, 64 + step);
                    Assert.True(optimizer.TryFuse(fused, fusedState, out var update));
                    Convolution.WeightGradient(x, dz, fused.AsSpan(s.Filters), scratch, dBias, s, l2, update.Slice(s.Filters, s.WeightCount));
                    update.Slice(0, s.Filters).Apply(dBias);

                    Convolution.WeightGradient(x, dz, gradient.AsSpan(s.Filters), gradient.AsSpan(0, s.Filters), s);
                    for (int i = 0; i < s.WeightCount; i++) gradient[s.Filters + i] += l2 * separate[s.Filters + i];
                    optimizer.ApplyInPlace(separate, gradient, separateState);
                }
        }
        finally { Parallelism.Threads = saved; }

        string where = $"{isa}, {threads} thread(s), {s}, {rule}, λ {l2}";
        Assert.True(fused.AsSpan().SequenceEqual(separate), $"{where}: θ differs at {FirstDifference(fused, separate)}");
        foreach (var (name, block) in separateState.Blocks)
        {
            float[] a = fusedState.Blocks[name].ToArray(), b = block.ToArray();
            Assert.True(a.AsSpan().SequenceEqual(b), $"{where}: the state's {name} differs at {FirstDifference(a, b)}");
        }
        Assert.Equal(2, fusedState.StepCount);
    }

    [Fact]
    public void A_convolution_update_bound_to_another_tensor_is_refused()
    {
        var s = new Conv2dShape(1, 1, 4, 4, 2, 3, 3);
        var optimizer = Sgd.Momentum(0.1f);
        float[] weights = new float[s.WeightCount], other = new float[s.WeightCount];
        var state = optimizer.Init(other.Length);
        ArgumentException? error = null;
        try
        {
            Assert.True(optimizer.TryFuse(other, state, out var update));
            Convolution.WeightGradient(new float[16], new float[8], weights, new float[s.WeightCount], new float[2], s, 0f, update);
        }
        catch (ArgumentException e) { error = e; }
        Assert.NotNull(error);
        Assert.Equal("update", error.ParamName);
        Assert.All(weights, w => Assert.Equal(0f, w));
    }

    [Fact]
    public void An_optimizer_with_fusion_off_does_not_fuse()
    {
        var optimizer = Sgd.Momentum(0.1f) with { Fuse = false };
        Assert.False(optimizer.TryFuse(new float[4], optimizer.Init(4), out var update));
        Assert.False(update.IsActive);
    }

    private static int FirstDifference(float[] a, float[] b)
    {
        for (int i = 0; i < a.Length; i++) if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i])) return i;
        return -1;
    }
}
