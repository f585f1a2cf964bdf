// The safe span entry points of the kernels: same results as the pointer forms, and a clear error instead of an overrun.
using Functional.Kernels;

namespace Functional.Tests.Kernels;

public sealed unsafe class SpanEntryPointTests
{
    private const int Batch = 5, Inputs = 9, Outputs = 19;

    [Fact]
    public void Gemm_span_forms_match_the_pointer_forms_bit_for_bit()
    {
        float[] x = Fill.Uniform(Batch * Inputs, 1), w = Fill.Uniform(Inputs * Outputs, 2), b = Fill.Uniform(Outputs, 3);
        float[] dz = Fill.Uniform(Batch * Outputs, 4), below = Fill.ReluOutputs(Batch * Inputs, 5);

        var y = new float[Batch * Outputs];
        Gemm.Forward<Relu>(x, w, b, y, Batch, Inputs, Outputs);
        var dw = new float[Inputs * Outputs];
        Gemm.WeightGradient(x, dz, dw, Batch, Inputs, Outputs);
        var db = new float[Outputs];
        Gemm.BiasGradient(dz, db, Batch, Outputs);
        var dx = new float[Batch * Inputs];
        Gemm.InputGradient<Relu>(dz, w, below, dx, Batch, Inputs, Outputs);

        Guarded py = new(y.Length), pdw = new(dw.Length), pdb = new(db.Length), pdx = new(dx.Length);
        fixed (float* px = x, pw = w, pb = b, pdz = dz, pbelow = below)
        {
            Gemm.Forward<Relu>(px, pw, pb, py.Pointer, Batch, Inputs, Outputs);
            Gemm.WeightGradient(px, pdz, pdw.Pointer, Batch, Inputs, Outputs);
            Gemm.BiasGradient(pdz, pdb.Pointer, Batch, Outputs);
            Gemm.InputGradient<Relu>(pdz, pw, pbelow, pdx.Pointer, Batch, Inputs, Outputs);
        }

        Assert.Equal(py.ToArray(), y);
        Assert.Equal(pdw.ToArray(), dw);
        Assert.Equal(pdb.ToArray(), db);
        Assert.Equal(pdx.ToArray(), dx);
    }

    /// <summary>Each buffer one float short in turn: the error names it, and nothing is written.</summary>
    [Theory]
    [InlineData("x")]
    [InlineData("W")]
    [InlineData("b")]
    [InlineData("y")]
    public void Forward_refuses_a_short_buffer_naming_it(string shortOne)
    {
        float[] Make(string name, int length) => new float[name == shortOne ? length - 1 : length];
        float[] x = Make("x", Batch * Inputs), w = Make("W", Inputs * Outputs), b = Make("b", Outputs), y = Make("y", Batch * Outputs);
        Array.Fill(y, 7f);

        var e = Assert.Throws<ArgumentException>(() => Gemm.Forward<Identity>(x, w, b, y, Batch, Inputs, Outputs));

        Assert.Equal(shortOne, e.ParamName);
        Assert.All(y, v => Assert.Equal(7f, v));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("dz")]
    [InlineData("dW")]
    public void WeightGradient_refuses_a_short_buffer_naming_it(string shortOne)
    {
        float[] Make(string name, int length) => new float[name == shortOne ? length - 1 : length];
        float[] x = Make("x", Batch * Inputs), dz = Make("dz", Batch * Outputs), dw = Make("dW", Inputs * Outputs);
        Assert.Equal(shortOne, Assert.Throws<ArgumentException>(() => Gemm.WeightGradient(x, dz, dw, Batch, Inputs, Outputs)).ParamName);
    }

    [Theory]
    [InlineData("dz")]
    [InlineData("W")]
    [InlineData("y_below")]
    [InlineData("dx")]
    public void InputGradient_refuses_a_short_buffer_naming_it(string shortOne)
    {
        float[] Make(string name, int length) => new float[name == shortOne ? length - 1 : length];
        float[] dz = Make("dz", Batch * Outputs), w = Make("W", Inputs * Outputs);
        float[] below = Make("y_below", Batch * Inputs), dx = Make("dx", Batch * Inputs);
        Assert.Equal(shortOne, Assert.Throws<ArgumentException>(() => Gemm.InputGradient<Relu>(dz, w, below, dx, Batch, Inputs, Outputs)).ParamName);
    }

    [Theory]
    [InlineData("dz")]
    [InlineData("db")]
    public void BiasGradient_refuses_a_short_buffer_naming_it(string shortOne)
    {
        float[] dz = new float[shortOne == "dz" ? Batch * Outputs - 1 : Batch * Outputs], db = new float[shortOne == "db" ? Outputs - 1 : Outputs];
        Assert.Equal(shortOne, Assert.Throws<ArgumentException>(() => Gemm.BiasGradient(dz, db, Batch, Outputs)).ParamName);
    }

    public static TheoryData<LossTests.Kind, int> BadLabels() => new()
    {
        { LossTests.Kind.SoftmaxCrossEntropy, 3 }, { LossTests.Kind.SoftmaxCrossEntropy, -1 }, { LossTests.Kind.SoftmaxCrossEntropy, int.MinValue },
        { LossTests.Kind.Hinge, 3 }, { LossTests.Kind.Hinge, -1 }, { LossTests.Kind.Hinge, int.MaxValue },
    };

    /// <summary>A label outside 0..C−1 would index past the row: the span form must refuse it and name the row.</summary>
    [Theory]
    [MemberData(nameof(BadLabels))]
    public void Losses_refuse_a_label_outside_the_classes(LossTests.Kind kind, int label)
    {
        const int classes = 3;
        float[] scores = [1, 2, 3, 4, 5, 6], dScores = new float[6];
        int[] labels = [0, label];

        var e = Assert.Throws<ArgumentException>(() => kind == LossTests.Kind.Hinge
            ? Hinge.LossAndGradient(scores, labels, 2, classes, dScores)
            : SoftmaxCrossEntropy.LossAndGradient(scores, labels, 2, classes, dScores));

        Assert.Equal("labels", e.ParamName);
        Assert.Contains("row 1", e.Message);
        Assert.All(dScores, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(LossTests.Kind.SoftmaxCrossEntropy)]
    [InlineData(LossTests.Kind.Hinge)]
    public void Losses_refuse_short_buffers_and_match_the_pointer_form(LossTests.Kind kind)
    {
        const int batch = 4, classes = 10;
        float[] scores = Fill.Uniform(batch * classes, 6, scale: 3f);
        int[] labels = [0, 3, 9, 5];
        LossResult Span(float[] s, int[] l, float[] d) => kind == LossTests.Kind.Hinge
            ? Hinge.LossAndGradient(s, l, batch, classes, d) : SoftmaxCrossEntropy.LossAndGradient(s, l, batch, classes, d);

        Assert.Throws<ArgumentException>(() => Span(scores[..^1], labels, new float[batch * classes]));
        Assert.Throws<ArgumentException>(() => Span(scores, labels[..^1], new float[batch * classes]));
        Assert.Throws<ArgumentException>(() => Span(scores, labels, new float[batch * classes - 1]));

        var viaSpan = new float[batch * classes];
        var spanResult = Span(scores, labels, viaSpan);
        var viaPointer = new float[batch * classes];
        LossResult pointerResult;
        fixed (float* s = scores, d = viaPointer)
        fixed (int* l = labels)
            pointerResult = kind == LossTests.Kind.Hinge ? Hinge.LossAndGradient(s, l, batch, classes, d) : SoftmaxCrossEntropy.LossAndGradient(s, l, batch, classes, d);
        Assert.Equal(pointerResult, spanResult);
        Assert.Equal(viaPointer, viaSpan);
    }

    [Fact]
    public void BackwardInPlace_refuses_fewer_outputs_than_gradients()
    {
        var dy = new float[17];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => ActivationPass.BackwardInPlace<Relu>(dy, new float[16])).ParamName);

        float[] grads = Fill.Uniform(17, 7), y = Fill.ReluOutputs(17, 8);
        var expected = grads.Select((g, i) => y[i] > 0 ? g : 0f).ToArray();
        ActivationPass.BackwardInPlace<Relu>(grads, y);
        Assert.Equal(expected, grads);
    }
}
