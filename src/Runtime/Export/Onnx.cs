// Exports a trained network (and optionally its fitted preprocessing) as an ONNX model for onnxruntime and other runtimes.
using Functional.Data;
using LanguageExt;
using static Functional.Export.OnnxMessages;

namespace Functional.Export;

/// <summary>
/// ONNX export (opset 13, IR version 8) of any declared network, in inference form: dense layers as Gemm (W is stored
/// [in, out], which is Gemm's B without a transpose), batch norm as BatchNormalization with the running statistics,
/// every activation as its ONNX operator (Maxout as Reshape + ReduceMax over each unit's k adjacent columns; GELU from
/// Erf, which opset 13 lacks as one operator; SiLU as z·Sigmoid(z)), dropout
/// left out (inverted dropout is the identity at inference). A softmax cross-entropy network ends in Softmax and
/// outputs <c>probabilities</c>; a hinge network outputs its raw <c>scores</c>, since the multiclass SVM defines no
/// probabilities. With a fitted pipeline the graph starts with it (centering as Sub, scaling as Div, PCA and the
/// whitenings as Sub + MatMul), so the model takes raw features; without one it takes already preprocessed features.
/// A convolutional network reshapes its input [N, C·H·W] to [N, C, H, W] before the first convolution (Conv with W
/// [F, C, K, K] as stored, pads and strides; BatchNormalization per channel; MaxPool or AveragePool) and flattens
/// (Flatten, axis 1: C, H, W order, as the dense layer reads it) before the first dense layer after one.
/// </summary>
public static class Onnx
{
    /// <summary>The ONNX operator set the exported graph is written against.</summary>
    public const int Opset = 13;

    /// <summary>The ONNX IR version of the file (8: ONNX 1.10 and later; onnxruntime ≥ 1.10).</summary>
    public const int IrVersion = 8;

    /// <summary>The graph's input: float [N, features], raw features when a pipeline was exported, else preprocessed ones.</summary>
    public const string InputName = "input";

    /// <summary>The output of a softmax cross-entropy network: float [N, classes], each row summing to 1.</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>The output of a hinge network: its raw class scores, float [N, classes].</summary>
    public const string ScoresName = "scores";

    /// <summary>
    /// Writes <paramref name="model"/> as an ONNX file at <paramref name="path"/>, atomically (a temporary file renamed
    /// over the target when complete, as model files are written). With <paramref name="pipeline"/> the model applies
    /// that fitted preprocessing to its input first; without it, its input must already be preprocessed.
    /// </summary>
    public static Fin<Unit> Save<TNet>(string path, TNet model, FittedPipeline? pipeline = null) where TNet : class, INetwork<TNet> =>
        Persistence.ModelFile.WriteAtomically(path, ToBytes(model, pipeline));

    /// <summary>The ONNX ModelProto of <paramref name="model"/> (and <paramref name="pipeline"/>, if given), serialised.</summary>
    public static byte[] ToBytes<TNet>(TNet model, FittedPipeline? pipeline = null) where TNet : class, INetwork<TNet>
    {
        ArgumentNullException.ThrowIfNull(model);
        var layout = TNet.Layout;
        if (pipeline is not null && pipeline.OutputCount != TNet.InputCount)
            throw new ArgumentException($"the pipeline produces {pipeline.OutputCount} features but {typeof(TNet).Name} takes {TNet.InputCount}", nameof(pipeline));
        var graph = new GraphBuilder(model.Parameters.ToArray(), model.Buffers.ToArray());
        string x = InputName;
        if (pipeline is not null)
            for (int i = 0; i < pipeline.Steps.Length; i++) x = graph.Transform(pipeline.Steps[i], $"preprocess{i + 1}", x);
        // The model's own ε, slope and α (a trial may have set them at run time), not the declaration's.
        var hyperparameters = model.Hyperparameters.For(layout);
        for (int i = 0; i < layout.Layers.Count; i++) x = graph.Layer(layout.Layers[i], hyperparameters[i], x);
        bool softmax = layout.Loss == Training.LossKind.SoftmaxCrossEntropy;
        string output = softmax ? ProbabilitiesName : ScoresName;
        graph.Op(softmax ? "Softmax" : "Identity", output, [x], softmax ? [IntAttribute("axis", 1)] : []);

        int inputs = pipeline?.InputCount ?? TNet.InputCount;
        string inputDoc = pipeline is null || pipeline.Steps.IsEmpty
            ? "features as the network was trained on them (apply the fitted preprocessing first)"
            : $"raw features; the graph applies the fitted preprocessing ({pipeline})";
        string outputDoc = softmax ? "class probabilities (softmax of the scores)" : "raw class scores of a multiclass SVM (hinge) network: no probabilities";
        var proto = Graph(layout.Name, graph.Nodes, graph.Initializers, Matrix(InputName, "N", inputs, inputDoc), Matrix(output, "N", TNet.ClassCount, outputDoc));
        string version = typeof(Onnx).Assembly.GetName().Version?.ToString(3) ?? "0";
        string doc = $"{layout.Name}: {string.Join(" → ", layout.Layers.Select(Describe))}; {(softmax ? "softmax" : "hinge: raw scores")}";
        return Model(IrVersion, "Functional", version, doc, proto, Opset,
            [("network", layout.Name), ("loss", layout.Loss.ToString()), ("output", output)]).ToArray();
    }

    private static string Describe(LayerLayout l) =>
        $"{l.Name} ({(l.Convolution is { } c ? $"conv {c.Channels}×{c.Height}×{c.Width} → {c.Filters}×{c.OutputHeight}×{c.OutputWidth}, {c.Kernel}×{c.Kernel} stride {c.Stride} padding {c.Padding}{(c.Pooling == PoolingKind.None ? "" : $", {c.Pooling} pool {c.PoolSize}")}" : $"dense {l.Inputs}→{l.Outputs}{(l.Dense.Pieces > 1 ? $"×{l.Dense.Pieces}" : "")}")}" +
        (l.BatchNormEpsilon is null ? "" : ", batch norm") + (l.Activation == ActivationKind.None ? "" : $", {l.Activation}") +
        (l.Dropout is null ? "" : ", dropout (identity)") + ")";

    /// <summary>Accumulates nodes and initializers; each method returns the name of the value it produced.</summary>
    private sealed class GraphBuilder(float[] parameters, float[] buffers)
    {
        public List<ProtoWriter> Nodes { get; } = [];
        public List<ProtoWriter> Initializers { get; } = [];

        /// <summary>A node whose output is named like the node itself.</summary>
        public string Op(string op, string name, string[] inputs, params ProtoWriter[] attributes)
        {
            Nodes.Add(Node(op, name, inputs, name, attributes));
            return name;
        }

        private string Tensor(string name, ReadOnlySpan<float> values, params long[] dims)
        {
            Initializers.Add(FloatTensor(name, values, dims));
            return name;
        }

        /// <summary>Whether the value flowing between layers is an image [N, C, H, W] (after a convolution) rather than a matrix [N, features].</summary>
        private bool image;

        public string Layer(LayerLayout l, LayerHyperparameters h, string x)
        {
            var d = l.Dense;
            string n = l.Name;
            var w = parameters.AsSpan(d.WeightsOffset, d.WeightCount);
            string z;
            if (l.Convolution is { } c)
            {
                if (!image) x = Op("Reshape", $"{n}.image", [x, Shape($"{n}.image_shape", -1, c.Channels, c.Height, c.Width)]);
                image = true;
                string filters = Tensor($"{n}.W", w, c.Filters, c.Channels, c.Kernel, c.Kernel);
                ProtoWriter[] geometry = [IntsAttribute("kernel_shape", c.Kernel, c.Kernel), IntsAttribute("strides", c.Stride, c.Stride), IntsAttribute("pads", c.Padding, c.Padding, c.Padding, c.Padding)];
                z = d.BiasOffset >= 0
                    ? Op("Conv", $"{n}.z", [x, filters, Tensor($"{n}.b", parameters.AsSpan(d.BiasOffset, d.Width), d.Width)], geometry)
                    : Op("Conv", $"{n}.z", [x, filters], geometry);
            }
            else
            {
                if (image) x = Op("Flatten", $"{n}.flat", [x], IntAttribute("axis", 1));
                image = false;
                string weights = Tensor($"{n}.W", w, d.Inputs, d.Width);
                z = d.BiasOffset >= 0
                    ? Op("Gemm", $"{n}.z", [x, weights, Tensor($"{n}.b", parameters.AsSpan(d.BiasOffset, d.Width), d.Width)])
                    : Op("Gemm", $"{n}.z", [x, weights]);
            }
            if (h.HasBatchNorm)
                z = Op("BatchNormalization", $"{n}.bn", [z,
                        Tensor($"{n}.gamma", parameters.AsSpan(d.GammaOffset, d.Width), d.Width),
                        Tensor($"{n}.beta", parameters.AsSpan(d.BetaOffset, d.Width), d.Width),
                        Tensor($"{n}.running_mean", buffers.AsSpan(d.RunningMeanOffset, d.Width), d.Width),
                        Tensor($"{n}.running_var", buffers.AsSpan(d.RunningVarianceOffset, d.Width), d.Width)],
                    FloatAttribute("epsilon", h.BatchNormEpsilon));
            string y = Activation(l, h, z);
            if (l.Convolution is not { Pooling: not PoolingKind.None } pooled) return y;
            return Op(pooled.Pooling == PoolingKind.Max ? "MaxPool" : "AveragePool", $"{n}.pool", [y],
                IntsAttribute("kernel_shape", pooled.PoolSize, pooled.PoolSize), IntsAttribute("strides", pooled.PoolStride, pooled.PoolStride));
        }

        private string Activation(LayerLayout l, LayerHyperparameters h, string z)
        {
            var d = l.Dense;
            string n = l.Name;
            return l.Activation switch
            {
                ActivationKind.None => z,
                ActivationKind.Sigmoid => Op("Sigmoid", $"{n}.y", [z]),
                ActivationKind.Tanh => Op("Tanh", $"{n}.y", [z]),
                ActivationKind.Relu => Op("Relu", $"{n}.y", [z]),
                ActivationKind.LeakyRelu => Op("LeakyRelu", $"{n}.y", [z], FloatAttribute("alpha", h.LeakySlope)),
                ActivationKind.Elu => Op("Elu", $"{n}.y", [z], FloatAttribute("alpha", h.EluAlpha)),
                // One slope per unit broadcasts along the rows; a shared slope is a one-element tensor.
                ActivationKind.PRelu => Op("PRelu", $"{n}.y", [z, Tensor($"{n}.slope", parameters.AsSpan(d.SlopeOffset, d.SlopeCount), d.SlopeCount)]),
                // Opset 13 has no Gelu (it came in 20): ½z·(1 + erf(z/√2)) from Mul, Erf and Add, as PyTorch exports it.
                ActivationKind.Gelu => Op("Mul", $"{n}.y", [Op("Mul", $"{n}.half_z", [z, Scalar($"{n}.half", 0.5f)]),
                    Op("Add", $"{n}.one_plus_erf", [Op("Erf", $"{n}.erf", [Op("Mul", $"{n}.u", [z, Scalar($"{n}.inv_sqrt2", 0.70710678f)])]), Scalar($"{n}.one", 1f)])]),
                ActivationKind.Silu => Op("Mul", $"{n}.y", [z, Op("Sigmoid", $"{n}.sigmoid", [z])]),
                // Unit j's pieces are columns j·k … j·k + k − 1 (Kernels.Maxout), so [N, units·k] → [N, units, k] → max over k.
                ActivationKind.Maxout => Op("ReduceMax", $"{n}.y",
                    [Op("Reshape", $"{n}.pieces", [z, Shape($"{n}.pieces_shape", -1, d.Outputs, d.Pieces)])],
                    IntsAttribute("axes", 2), IntAttribute("keepdims", 0)),
                var other => throw new NotSupportedException($"{n}: no ONNX export for activation {other}"),
            };
        }

        /// <summary>A constant scalar (a tensor without dimensions), broadcast by the elementwise operators.</summary>
        private string Scalar(string name, float value) => Tensor(name, [value]);

        private string Shape(string name, params long[] dims)
        {
            Initializers.Add(Int64Tensor(name, dims));
            return name;
        }

        /// <summary>One fitted preprocessing step, as the elementwise or affine operation its Apply computes.</summary>
        public string Transform(ITransform step, string name, string x) => step switch
        {
            Centering c => Op("Sub", $"{name}.centered", [x, Tensor($"{name}.mean", PerFeature(c.Mean, c.Granularity, c.InputCount), c.InputCount)]),
            Scaling s => Op("Div", $"{name}.scaled", [x, Tensor($"{name}.std", PerFeature(s.Std, s.Granularity, s.InputCount), s.InputCount)]),
            Pca p => Projection(name, x, p.Mean, p.ProjectionWeights, p.OutputCount),
            PcaWhitening p => Projection(name, x, p.Mean, p.ProjectionWeights, p.OutputCount),
            ZcaWhitening z => Projection(name, x, z.Mean, z.ProjectionWeights, z.OutputCount),
            FittedPipeline nested => nested.Steps.Select((s, i) => (s, i)).Aggregate(x, (current, t) => Transform(t.s, $"{name}.{t.i + 1}", current)),
            _ => throw new NotSupportedException($"no ONNX export for the preprocessing step {step.GetType().Name}"),
        };

        private string Projection(string name, string x, ReadOnlySpan<float> mean, float[] weights, int outputs) =>
            Op("MatMul", $"{name}.projected", [Op("Sub", $"{name}.centered", [x, Tensor($"{name}.mean", mean, mean.Length)]),
                Tensor($"{name}.W", weights, mean.Length, outputs)]);

        /// <summary>One statistic per feature, whatever the granularity (a scalar repeated, or one per channel-major channel).</summary>
        private static float[] PerFeature(ReadOnlySpan<float> statistics, Granularity granularity, int features)
        {
            var expanded = new float[features];
            int size = granularity.GroupSize(features);
            for (int i = 0; i < features; i++) expanded[i] = statistics.Length == features ? statistics[i] : statistics[i / size];
            return expanded;
        }
    }
}
