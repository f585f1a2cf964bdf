// The contract between generated network records and the runtime's training and evaluation code.
using Functional.Data;

namespace Functional;

/// <summary>
/// Implemented by the generator for every <c>[Network]</c> record. Static members describe the shape and run
/// the emitted kernels; the runtime's fold and evaluation are written once against this interface.
/// </summary>
public interface INetwork<TSelf> where TSelf : class, INetwork<TSelf>
{
    /// <summary>Features per input row.</summary>
    static abstract int InputCount { get; }
    /// <summary>Classes the network scores: the width of its output.</summary>
    static abstract int ClassCount { get; }
    /// <summary>Floats in the parameter block (every layer's weights, biases and other trained parameters).</summary>
    static abstract int ParameterCount { get; }

    /// <summary>Floats of non-trained state (batch-norm running statistics); 0 for most networks.</summary>
    static abstract int BufferCount { get; }

    /// <summary>Names, shapes and offsets of the layers in the parameter block (for monitoring and diagnostics).</summary>
    static abstract NetworkLayout Layout { get; }

    /// <summary>
    /// The declaration's run-time hyperparameters (dropout p, batch norm's momentum and ε, leaky slope, ELU α, PReLU's
    /// initial slope, bias init, SmallRandom's std), range-checked at compile time: what a model has unless a trial sets others.
    /// </summary>
    static abstract Hyperparameters Defaults { get; }

    /// <summary>
    /// Fresh parameters from <paramref name="seed"/>, by the declared initialisation or <paramref name="weights"/> for every
    /// layer; the model carries <paramref name="hyperparameters"/> (null: <see cref="Defaults"/>), whose bias init, std and
    /// PReLU initial slope the initialisation reads.
    /// </summary>
    static abstract TSelf Init(int seed, Dsl.Init? weights = null, float smallStd = 0.01f, Hyperparameters? hyperparameters = null);

    /// <summary>
    /// Wraps a block of <see cref="ParameterCount"/> floats and one of <see cref="BufferCount"/> (null: fresh
    /// statistics, mean 0 and variance 1), with <paramref name="hyperparameters"/> (null: <see cref="Defaults"/>); the
    /// caller hands over ownership of both blocks. NaN or ∞ in either is refused, as are another network's hyperparameters.
    /// </summary>
    static abstract TSelf FromParameters(float[] parameters, float[]? buffers = null, Hyperparameters? hyperparameters = null);

    /// <summary>The run-time hyperparameters this model trains with (the fold reads them), infers with, and is saved with.</summary>
    Hyperparameters Hyperparameters { get; }

    /// <summary>The parameter block every layer is a view of.</summary>
    ReadOnlyMemory<float> Parameters { get; }

    /// <summary>The buffer block (batch-norm running statistics); empty when <see cref="BufferCount"/> is 0.</summary>
    ReadOnlyMemory<float> Buffers { get; }

    /// <summary>Buffers for batches of up to <paramref name="maxBatch"/> rows.</summary>
    static abstract Workspace CreateWorkspace(int maxBatch);

    /// <summary>
    /// Training forward, loss (plus ½λ‖W‖² when <see cref="StepOptions.L2"/> ≠ 0) and backward on one batch; writes
    /// ∂loss/∂parameters into <paramref name="gradient"/> and advances the running statistics in
    /// <paramref name="buffers"/>. Dropout masks come from <see cref="StepOptions.DropoutSeed"/>. Allocates nothing.
    /// </summary>
    static abstract BatchResult ComputeGradient(ReadOnlySpan<float> parameters, Span<float> buffers, Batch batch, StepOptions options, Span<float> gradient, Workspace workspace);

    /// <summary>
    /// The same step with the optimizer fused into backward: <paramref name="update"/> (from
    /// <see cref="Optimizers.Optimizer.TryFuse"/>, bound to the parameter block it advances) updates each tensor as
    /// soon as its gradient is complete, W inside its gradient's product. The parameters end bit for bit as after
    /// <see cref="ComputeGradient"/> and <see cref="Optimizers.Optimizer.ApplyInPlace"/>; <paramref name="gradient"/>
    /// is scratch with unspecified contents. Allocates nothing.
    /// </summary>
    static abstract BatchResult TrainInPlace(Optimizers.FusedUpdate update, Span<float> buffers, Batch batch, StepOptions options, Span<float> gradient, Workspace workspace);

    /// <summary>
    /// Inference forward (running statistics, no dropout): scores [count, ClassCount] for inputs [count, InputCount], with
    /// the model's <paramref name="hyperparameters"/> (batch norm's ε, leaky slope, ELU α; null: <see cref="Defaults"/>).
    /// </summary>
    static abstract void Infer(ReadOnlySpan<float> parameters, ReadOnlySpan<float> buffers, ReadOnlySpan<float> inputs, int count, Span<float> scores, Workspace workspace, Hyperparameters? hyperparameters = null);

    /// <summary>The data loss of precomputed scores (no penalty), and how many were classified correctly.</summary>
    static abstract Kernels.LossResult ScoreLoss(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, int count);

    /// <summary>The same training-mode loss computed naively in double precision (same dropout masks): the reference for gradient checks.</summary>
    static abstract double ReferenceLoss(ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int count, StepOptions options);

    /// <summary>Per hidden layer (declaration order), its output [count, units] from the last forward pass in <paramref name="workspace"/>: for activation statistics.</summary>
    static abstract ReadOnlySpan<float> LayerOutput(Workspace workspace, int layer, int count);
}

/// <summary>
/// Values a training step takes besides the batch: the L2 strength, the seed of its dropout masks, and the model's
/// run-time hyperparameters (null: the network's <c>Defaults</c>), which the fold takes from the model it trains.
/// </summary>
public readonly record struct StepOptions(float L2 = 0f, long DropoutSeed = 0, Hyperparameters? Hyperparameters = null);

/// <summary>What one training batch produced: the mean data loss, the L2 penalty ½λ‖W‖², and correct predictions out of Count.</summary>
public readonly record struct BatchResult(float DataLoss, float Penalty, int Correct, int Count)
{
    /// <summary>What the step minimised: data loss plus penalty.</summary>
    public float Loss => DataLoss + Penalty;
}

/// <summary>A layer's activation, as declared (<see cref="None"/> for a linear layer), so monitoring knows what "dead" or "saturated" means for it.</summary>
public enum ActivationKind
{
    /// <summary>No activation: a linear layer.</summary>
    None,
    /// <summary>The logistic sigmoid σ(z) = 1 / (1 + e⁻ᶻ).</summary>
    Sigmoid,
    /// <summary>tanh(z).</summary>
    Tanh,
    /// <summary>ReLU: max(0, z).</summary>
    Relu,
    /// <summary>Leaky ReLU: z, or slope·z for z &lt; 0 (the slope is <see cref="LayerLayout.ActivationParameter"/>).</summary>
    LeakyRelu,
    /// <summary>Parametric ReLU: leaky ReLU with learned slopes.</summary>
    PRelu,
    /// <summary>ELU: z, or α(eᶻ − 1) for z &lt; 0 (α is <see cref="LayerLayout.ActivationParameter"/>).</summary>
    Elu,
    /// <summary>Maxout: the maximum over each unit's pieces.</summary>
    Maxout,
    /// <summary>GELU: z·Φ(z), Φ the standard normal CDF (the exact, erf form).</summary>
    Gelu,
    /// <summary>SiLU (swish): z·σ(z).</summary>
    Silu,
}

/// <summary>
/// One layer's name and its place in the parameter and buffer blocks. <see cref="Dense"/> says where its tensors lie
/// for every kind (a convolution's as <see cref="Conv2dLayout.AsDense"/>: W as C·K·K × F, per-channel tensors [F]);
/// <see cref="Convolution"/> is set for a convolution layer and holds its shapes.
/// </summary>
public sealed record LayerLayout(string Name, DenseLayout Dense)
{
    /// <summary>A convolution layer: its tensors' places through <see cref="Conv2dLayout.AsDense"/>, and its shapes.</summary>
    public LayerLayout(string name, Conv2dLayout convolution) : this(name, convolution.AsDense()) => Convolution = convolution;

    /// <summary>
    /// The convolution's shapes and offsets, or null for a dense layer. Serialised (a model file of another geometry is
    /// refused), and left out when null, so a dense network's layout reads as it always has.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public Conv2dLayout? Convolution { get; init; }

    /// <summary>
    /// The layer's declared activation. Not part of a model file's layout check (which is about where parameters lie),
    /// so it is left out of the serialised form.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ActivationKind Activation { get; init; }

    /// <summary>
    /// The activation's declared constant: leaky ReLU's slope or ELU's α; 0 for the others. Not serialised, like
    /// <see cref="Activation"/>. A model's own value, which a trial may have changed, is in its <see cref="Functional.Hyperparameters"/>.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public float ActivationParameter { get; init; }

    /// <summary>Batch norm's declared ε, or null for a layer without batch norm (a model's own ε is in its hyperparameters). Not serialised.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public float? BatchNormEpsilon { get; init; }

    /// <summary>The declared dropout probability p, or null for a layer without dropout (inference ignores it either way). Not serialised.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public float? Dropout { get; init; }

    /// <summary>The layer's input values per sample (<see cref="DenseLayout.Inputs"/>; a convolution's C·H·W).</summary>
    public int Inputs => Convolution?.InputSize ?? Dense.Inputs;
    /// <summary>The layer's output values per sample (<see cref="DenseLayout.Outputs"/>; a convolution's F·OH·OW after pooling).</summary>
    public int Outputs => Convolution?.OutputSize ?? Dense.Outputs;
    /// <summary>Where the layer's W starts in the parameter block (<see cref="DenseLayout.WeightsOffset"/>).</summary>
    public int WeightsOffset => Dense.WeightsOffset;
    /// <summary>Floats in the layer's W (<see cref="DenseLayout.WeightCount"/>).</summary>
    public int WeightCount => Dense.WeightCount;
}

/// <summary>The whole network's layout, in declaration order.</summary>
public sealed record NetworkLayout(string Name, int Inputs, int Classes, int ParameterCount, int BufferCount, IReadOnlyList<LayerLayout> Layers)
{
    /// <summary>The declared loss (what an exported model's output means: probabilities or raw scores). Not serialised.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Training.LossKind Loss { get; init; }
}

/// <summary>
/// Scratch buffers a generated network's kernels write into: the gathered batch, saved activations, gradients.
/// Owned by one fold (or one call) at a time; never visible to users as state.
/// </summary>
public abstract class Workspace(int maxBatch, int inputs, int classes)
{
    /// <summary>The most rows a batch may have in this workspace.</summary>
    public int MaxBatch { get; } = maxBatch;
    /// <summary>The gathered batch's inputs, [MaxBatch, inputs] row-major.</summary>
    public float[] Input { get; } = new float[maxBatch * inputs];
    /// <summary>The gathered batch's labels.</summary>
    public int[] Labels { get; } = new int[maxBatch];
    /// <summary>The scores of the last forward pass, [MaxBatch, classes] row-major.</summary>
    public float[] Scores { get; } = new float[maxBatch * classes];
    /// <summary>∂loss/∂scores of the last backward pass, [MaxBatch, classes] row-major.</summary>
    public float[] ScoresGradient { get; } = new float[maxBatch * classes];
}
