// A network's run-time hyperparameters: every per-layer value that is not structure, so a trial sets it without a rebuild.
using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Functional;

/// <summary>
/// One layer's run-time values: dropout p, batch norm's momentum and ε, leaky ReLU's slope, ELU's α, PReLU's initial
/// slope, the bias's initial value and SmallRandom's std. Which of them a layer has is its structure, fixed by the
/// declaration (<see cref="HasDropout"/>, <see cref="HasBatchNorm"/>, <see cref="Activation"/>); their values are
/// data. Every value is range-checked when the record is made and by every <c>with</c>, and setting one the layer
/// does not have is refused, naming the layer: <c>Hidden2 has no dropout</c>.
/// </summary>
public sealed record LayerHyperparameters
{
    private readonly float dropout, momentum, epsilon, leakySlope, eluAlpha, preluInitialSlope, biasInit, initStd;

    /// <summary>
    /// A layer's values as declared. Made by the generated <c>Defaults</c>; a trial changes one with <c>with</c> (or
    /// <see cref="Hyperparameters.With"/>), which keeps which values the layer has.
    /// </summary>
    /// <param name="layer">The layer's declared name.</param>
    /// <param name="activation">The layer's activation: says whether <see cref="LeakySlope"/>, <see cref="EluAlpha"/> or <see cref="PReluInitialSlope"/> applies.</param>
    /// <param name="dropout">Dropout p, or null for a layer declared without dropout.</param>
    /// <param name="batchNorm">Batch norm's (momentum, ε), or null for a layer declared without batch norm.</param>
    /// <param name="activationParameter">Leaky ReLU's slope, ELU's α or PReLU's initial slope; ignored for other activations.</param>
    /// <param name="biasInit">The value every bias starts at.</param>
    /// <param name="initStd">SmallRandom's standard deviation.</param>
    public LayerHyperparameters(string layer, ActivationKind activation, float? dropout = null, (float Momentum, float Epsilon)? batchNorm = null,
        float activationParameter = 0f, float biasInit = 0f, float initStd = 0.01f)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(layer);
        Layer = layer;
        Activation = activation;
        HasDropout = dropout is not null;
        HasBatchNorm = batchNorm is not null;
        if (dropout is float p) this.dropout = Check(nameof(Dropout), p, p >= 0 && p < 1, "in [0, 1) (0 turns it off)");
        if (batchNorm is var (m, e))
        {
            momentum = Check(nameof(BatchNormMomentum), m, m > 0 && m <= 1, "in (0, 1]");
            epsilon = Check(nameof(BatchNormEpsilon), e, e > 0 && float.IsFinite(e), "a finite number > 0");
        }
        switch (activation)
        {
            case ActivationKind.LeakyRelu: leakySlope = CheckSlope(activationParameter); break;
            case ActivationKind.Elu: eluAlpha = CheckAlpha(activationParameter); break;
            case ActivationKind.PRelu: preluInitialSlope = CheckInitialSlope(activationParameter); break;
        }
        this.biasInit = CheckBias(biasInit);
        this.initStd = CheckStd(initStd);
    }

    /// <summary>The layer's declared name.</summary>
    public string Layer { get; }

    /// <summary>The layer's declared activation (structure: not changeable).</summary>
    public ActivationKind Activation { get; }

    /// <summary>Whether the layer was declared with <c>[Dropout]</c>; only then may <see cref="Dropout"/> be set.</summary>
    public bool HasDropout { get; }

    /// <summary>Whether the layer was declared with <c>[BatchNorm]</c>; only then may its momentum and ε be set.</summary>
    public bool HasBatchNorm { get; }

    /// <summary>Dropout p in [0, 1), training only; 0 turns dropout off and skips its mask work. 0 for a layer without dropout.</summary>
    public float Dropout
    {
        get => dropout;
        init => dropout = HasDropout ? Check(nameof(Dropout), value, value >= 0 && value < 1, "in [0, 1) (0 turns it off)") : Absent(nameof(Dropout), value, "dropout");
    }

    /// <summary>Batch norm's running-average momentum m in (0, 1]: r ← (1 − m)·r + m·batch. 0 for a layer without batch norm.</summary>
    public float BatchNormMomentum
    {
        get => momentum;
        init => momentum = HasBatchNorm ? Check(nameof(BatchNormMomentum), value, value > 0 && value <= 1, "in (0, 1]") : Absent(nameof(BatchNormMomentum), value, "batch norm");
    }

    /// <summary>Batch norm's ε &gt; 0 in 1/√(σ² + ε), in training and at inference. 0 for a layer without batch norm.</summary>
    public float BatchNormEpsilon
    {
        get => epsilon;
        init => epsilon = HasBatchNorm ? Check(nameof(BatchNormEpsilon), value, value > 0 && float.IsFinite(value), "a finite number > 0") : Absent(nameof(BatchNormEpsilon), value, "batch norm");
    }

    /// <summary>Leaky ReLU's negative slope in [0, 1), in training and at inference. 0 for other activations.</summary>
    public float LeakySlope
    {
        get => leakySlope;
        init => leakySlope = Activation == ActivationKind.LeakyRelu ? CheckSlope(value) : Absent(nameof(LeakySlope), value, "leaky ReLU");
    }

    /// <summary>ELU's α &gt; 0 (finite), in training and at inference. 0 for other activations.</summary>
    public float EluAlpha
    {
        get => eluAlpha;
        init => eluAlpha = Activation == ActivationKind.Elu ? CheckAlpha(value) : Absent(nameof(EluAlpha), value, "ELU");
    }

    /// <summary>The value PReLU's learned slopes start at (finite; 0.25 by default, as in He et al. and PyTorch). 0 for other activations.</summary>
    public float PReluInitialSlope
    {
        get => preluInitialSlope;
        init => preluInitialSlope = Activation == ActivationKind.PRelu ? CheckInitialSlope(value) : Absent(nameof(PReluInitialSlope), value, "PReLU");
    }

    /// <summary>The value the layer's biases start at (finite). Read by <c>Init</c>; a layer with batch norm has no bias.</summary>
    public float BiasInit { get => biasInit; init => biasInit = CheckBias(value); }

    /// <summary>SmallRandom's standard deviation (finite, &gt; 0), for a layer initialised with <c>Init.SmallRandom</c>. Read by <c>Init</c>.</summary>
    public float InitStd { get => initStd; init => initStd = CheckStd(value); }

    /// <summary>Whether <paramref name="other"/> is the same layer with the same set of values (only the numbers may differ).</summary>
    public bool SameStructure(LayerHyperparameters other) =>
        other is not null && other.Layer == Layer && other.Activation == Activation && other.HasDropout == HasDropout && other.HasBatchNorm == HasBatchNorm;

    /// <summary>The layer's values by their names in a model file (camelCase), only those it has; for persistence and messages.</summary>
    public IEnumerable<(string Name, float Value)> Values()
    {
        if (HasDropout) yield return ("dropout", Dropout);
        if (HasBatchNorm) { yield return ("batchNormMomentum", BatchNormMomentum); yield return ("batchNormEpsilon", BatchNormEpsilon); }
        if (Activation == ActivationKind.LeakyRelu) yield return ("leakySlope", LeakySlope);
        if (Activation == ActivationKind.Elu) yield return ("eluAlpha", EluAlpha);
        if (Activation == ActivationKind.PRelu) yield return ("preluInitialSlope", PReluInitialSlope);
        yield return ("biasInit", BiasInit);
        yield return ("initStd", InitStd);
    }

    /// <summary>This layer with the value called <paramref name="name"/> (as <see cref="Values"/> names it) set to <paramref name="value"/>: for reading a model file.</summary>
    public LayerHyperparameters WithValue(string name, float value) => name switch
    {
        "dropout" => this with { Dropout = value },
        "batchNormMomentum" => this with { BatchNormMomentum = value },
        "batchNormEpsilon" => this with { BatchNormEpsilon = value },
        "leakySlope" => this with { LeakySlope = value },
        "eluAlpha" => this with { EluAlpha = value },
        "preluInitialSlope" => this with { PReluInitialSlope = value },
        "biasInit" => this with { BiasInit = value },
        "initStd" => this with { InitStd = value },
        _ => throw new ArgumentException($"{Layer}: no hyperparameter is called \"{name}\" (known: {string.Join(", ", Values().Select(v => v.Name))})", nameof(name)),
    };

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(Layer).Append(':');
        foreach (var (name, value) in Values()) builder.Append(' ').Append(name).Append(" = ").Append(value.ToString("R", CultureInfo.InvariantCulture));
        return true;
    }

    // A value the layer does not have may only be "set" to 0 (which is what it reads as), so `with` on an unrelated
    // value still copies it; anything else names the layer and what it lacks.
    private float Absent(string property, float value, string what) => value == 0f ? 0f : throw new ArgumentException(
        $"{Layer} has no {what}, so {property} cannot be set to {value.ToString("R", CultureInfo.InvariantCulture)}: which values a layer has is structure, declared on the layer", property);

    private float CheckSlope(float value) => Check(nameof(LeakySlope), value, value >= 0 && value < 1, "in [0, 1)");
    private float CheckAlpha(float value) => Check(nameof(EluAlpha), value, value > 0 && float.IsFinite(value), "a finite number > 0");
    private float CheckInitialSlope(float value) => Check(nameof(PReluInitialSlope), value, float.IsFinite(value), "a finite number");
    private float CheckBias(float value) => Check(nameof(BiasInit), value, float.IsFinite(value), "a finite number");
    private float CheckStd(float value) => Check(nameof(InitStd), value, value > 0 && float.IsFinite(value), "a finite number > 0");

    private float Check(string property, float value, bool ok, string range) => ok ? value
        : throw new ArgumentOutOfRangeException(property, value, $"{Layer}: {property} must be {range}, got {value.ToString("R", CultureInfo.InvariantCulture)}");
}

/// <summary>
/// A network's run-time hyperparameters, one <see cref="LayerHyperparameters"/> per declared layer in declaration order.
/// The generated <c>TNet.Defaults</c> holds the declaration's values; a trial derives its own with <see cref="With"/>
/// (or <see cref="WithDropout"/>) and gives it to the model (<c>TNet.Init(seed, hyperparameters: h)</c> or
/// <c>model with { Hyperparameters = h }</c>): the model trains with it, infers with it, and its model file keeps it.
/// Widths, depth and layer kinds are not here: they are the record's structure, and another structure is another record.
/// </summary>
public sealed record Hyperparameters
{
    private readonly ImmutableArray<LayerHyperparameters> layers;

    private Hyperparameters(NetworkLayout network, ImmutableArray<LayerHyperparameters> layers)
    {
        Network = network;
        this.layers = layers;
    }

    /// <summary>
    /// The declared values of <paramref name="network"/>'s layers: what a generated network's <c>Defaults</c> is made
    /// of. One entry per layer of the layout, in its order, named as it names them.
    /// </summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public static Hyperparameters Declare(NetworkLayout network, params LayerHyperparameters[] layers)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length != network.Layers.Count || layers.Where((l, i) => l.Layer != network.Layers[i].Name).Any())
            throw new ArgumentException($"{network.Name} declares layers {string.Join(", ", network.Layers.Select(l => l.Name))}, got values for {string.Join(", ", layers.Select(l => l.Layer))}", nameof(layers));
        return new(network, [.. layers]);
    }

    /// <summary>The layout of the network these values are for: they fit that network and no other.</summary>
    public NetworkLayout Network { get; }

    /// <summary>Each layer's values, in declaration order.</summary>
    public IReadOnlyList<LayerHyperparameters> Layers => layers;

    /// <summary>The values of the layer at <paramref name="index"/> in declaration order.</summary>
    public LayerHyperparameters this[int index] => layers[index];

    /// <summary>The values of the layer called <paramref name="layer"/>; an unknown name is refused with the declared ones.</summary>
    public LayerHyperparameters this[string layer] => layers[IndexOf(layer)];

    /// <summary>
    /// These values with layer <paramref name="layer"/>'s changed by <paramref name="change"/>
    /// (<c>h.With("Hidden1", l =&gt; l with { Dropout = 0.3f })</c>). The layer's values are checked as they are set.
    /// </summary>
    public Hyperparameters With(string layer, Func<LayerHyperparameters, LayerHyperparameters> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        int i = IndexOf(layer);
        var changed = change(layers[i]);
        if (changed is null || !layers[i].SameStructure(changed))
            throw new ArgumentException($"{Network.Name}.{layer}: the change must keep the layer (its name, activation, dropout and batch norm are structure); got {changed?.ToString() ?? "null"}", nameof(change));
        return new(Network, layers.SetItem(i, changed));
    }

    /// <summary>These values with dropout p = <paramref name="p"/> on every layer declared with dropout (0 turns it off). Refused when there is none.</summary>
    public Hyperparameters WithDropout(float p)
    {
        if (!layers.Any(l => l.HasDropout)) throw new InvalidOperationException($"{Network.Name} declares no dropout layer, so there is no p to set");
        return new(Network, [.. layers.Select(l => l.HasDropout ? l with { Dropout = p } : l)]);
    }

    /// <summary>These values if they are for <paramref name="network"/>; otherwise an exception naming both networks. Generated code checks with it once per call.</summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public Hyperparameters For(NetworkLayout network) => ReferenceEquals(Network, network) ? this
        : throw new ArgumentException($"these hyperparameters are {Network.Name}'s, not {network.Name}'s: start from {network.Name}.Defaults", "hyperparameters");

    /// <summary>Equal when for the same network with the same values, layer by layer.</summary>
    public bool Equals(Hyperparameters? other) =>
        other is not null && (ReferenceEquals(this, other) || ReferenceEquals(Network, other.Network) && layers.SequenceEqual(other.layers));

    /// <summary>A hash over the network and every layer's values.</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Network.Name);
        foreach (var l in layers) hash.Add(l);
        return hash.ToHashCode();
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(Network.Name).Append(": ").AppendJoin("; ", layers.Select(l => l.ToString()));
        return true;
    }

    private int IndexOf(string layer)
    {
        for (int i = 0; i < layers.Length; i++) if (layers[i].Layer == layer) return i;
        throw new ArgumentException($"{Network.Name} has no layer called \"{layer}\" (its layers: {string.Join(", ", layers.Select(l => l.Layer))})", nameof(layer));
    }
}
