// Plain SGD and SGD with momentum (PyTorch's convention), the lecture's first two update rules.
using System.Numerics.Tensors;

namespace Functional.Optimizers;

/// <summary>Constructors for the SGD family.</summary>
public static class Sgd
{
    /// <summary>θ ← θ − lr·g.</summary>
    public static VanillaSgd Plain(float lr) => new(lr);

    /// <summary>v ← μ·v + g; θ ← θ − lr·v (PyTorch's form, so its hyperparameters carry over unchanged).</summary>
    public static MomentumSgd Momentum(float lr, float mu = 0.9f) => new(lr, mu);
}

/// <summary>θ ← θ − lr·g. Its state is empty.</summary>
public sealed record VanillaSgd : Optimizer
{
    public VanillaSgd(float learningRate)
    {
        if (!(learningRate > 0) || !float.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "the learning rate must be a positive finite number");
        LearningRate = learningRate;
    }

    public float LearningRate { get; init; }

    public override OptimizerState Init(int parameterCount) => new StatelessState(parameterCount);

    protected override void ComputeUpdates(ReadOnlySpan<float> gradient, OptimizerState owned, ReadOnlySpan<float> parameters, Span<float> updates)
    {
        Expect<StatelessState>(owned, gradient.Length, "SGD");
        TensorPrimitives.Multiply(gradient, -LearningRate, updates);
    }

    public override void ApplyInPlace(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState owned)
    {
        Expect<StatelessState>(owned, gradient.Length, "SGD");
        TensorPrimitives.MultiplyAdd(gradient, -LearningRate, parameters, parameters);
    }
}

/// <summary>The state of an optimizer that keeps none.</summary>
public sealed record StatelessState(int Count) : OptimizerState
{
    public override int ParameterCount => Count;
    public override OptimizerState Copy() => this;
}

/// <summary>SGD with momentum: v ← μ·v + g; θ ← θ − lr·v.</summary>
public sealed record MomentumSgd : Optimizer
{
    public MomentumSgd(float learningRate, float momentum)
    {
        if (!(learningRate > 0) || !float.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "the learning rate must be a positive finite number");
        if (!(momentum >= 0 && momentum < 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in [0, 1)");
        LearningRate = learningRate;
        Momentum = momentum;
    }

    public float LearningRate { get; init; }
    public float Momentum { get; init; }

    public override OptimizerState Init(int parameterCount) => new VelocityState(new float[parameterCount]);

    protected override void ComputeUpdates(ReadOnlySpan<float> gradient, OptimizerState owned, ReadOnlySpan<float> parameters, Span<float> updates)
    {
        var v = Expect<VelocityState>(owned, gradient.Length, "SGD with momentum").Buffer;
        TensorPrimitives.MultiplyAdd(v, Momentum, gradient, v);
        TensorPrimitives.Multiply(v, -LearningRate, updates);
    }

    public override void ApplyInPlace(Span<float> parameters, ReadOnlySpan<float> gradient, OptimizerState owned)
    {
        var v = Expect<VelocityState>(owned, gradient.Length, "SGD with momentum").Buffer;
        TensorPrimitives.MultiplyAdd(v, Momentum, gradient, v);
        TensorPrimitives.MultiplyAdd(v, -LearningRate, parameters, parameters);
    }
}

/// <summary>Momentum's velocity, one float per parameter.</summary>
public sealed record VelocityState : OptimizerState
{
    internal VelocityState(float[] velocity) => Buffer = velocity;

    /// <summary>Mutated only through an owned clone inside an optimizer step.</summary>
    internal float[] Buffer { get; }

    public ReadOnlySpan<float> Velocity => Buffer;
    public override int ParameterCount => Buffer.Length;
    public override OptimizerState Copy() => new VelocityState((float[])Buffer.Clone());
}
