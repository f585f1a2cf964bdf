// `profile [batches] [threads] [rows]`: where one training step's time goes, kernel by kernel (on-CPU µs), and in the step's own order on real data flow;
// `profile fusion|batchnorm|monitoring|adam|adambytes [batch] [threads] [pairs]`: two folds interleaved (optimizer fused vs separate; batch norm vs plain; watched vs not; Adam vs momentum; two momentum traces vs one);
// `profile update`: the optimizer's update pass alone, link by link, at sizes that live in L1, L2 and L3; `profile census`: how many of Adam's moments are subnormal in a real run.
using System.Diagnostics;
using System.Numerics.Tensors;
using Functional.Data;
using Functional.Kernels;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.Benchmarks;

/// <summary>
/// Times each kernel call the generated BenchMlp step makes, with the step's own shapes, then the whole step,
/// and prints the share of each. The parts should add up to about the whole; what is left is the step's glue.
/// </summary>
public static unsafe class Profile
{
    /// <summary>The first argument of `profile` that selects two interleaved folds rather than the kernel split.</summary>
    public static readonly string[] Modes = ["fusion", "batchnorm", "monitoring", "adam", "adambytes", "update", "census"];

    /// <summary><paramref name="what"/> is a mode or comma-separated batch sizes; <paramref name="numbers"/> the positional numbers after it (checked by Program).</summary>
    public static int Run(string what, int[] numbers)
    {
        if (what == "update") return UpdatePasses();
        if (what == "census") return AdamCost.Census();
        if (Modes.Contains(what)) return Pairs(what, numbers);
        int threads = numbers.Length > 0 ? numbers[0] : 1;
        datasetRows = numbers.Length > 1 ? numbers[1] : 55_000;
        Parallelism.Threads = threads;
        foreach (int batch in what.Split(',').Select(int.Parse))
        {
            Print(batch);
            InContext(batch);
        }
        return 0;
    }

    /// <summary>Rows of the random data set the in-context profile gathers from: Fashion-MNIST's 55,000 by default, so the gather misses the caches as in training.</summary>
    private static int datasetRows = 55_000;

    /// <summary>
    /// The step's kernel calls in the generated order, on real data flow with the optimizer between steps (so caches
    /// hold what they hold in training), timed phase by phase with the wall clock; medians over many steps.
    /// </summary>
    private static void InContext(int batch)
    {
        const int i1 = 784, o1 = 256, o2 = 128, o3 = 10;
        var data = RandomData(i1);
        var model = BenchMlp.Init(7);
        var p = model.Parameters.ToArray();
        var g = new float[p.Length];
        var optimizer = Sgd.Momentum(0.01f, 0.9f);
        var velocity = optimizer.Init(p.Length);
        var x = new float[batch * i1]; var labels = new int[batch];
        var h1 = new float[batch * o1]; var h2 = new float[batch * o2]; var s = new float[batch * o3];
        var ds = new float[batch * o3]; var dh2 = new float[batch * o2]; var dh1 = new float[batch * o1];
        int w1 = 0, b1 = i1 * o1, w2 = b1 + o1, b2 = w2 + o1 * o2, w3 = b2 + o2, b3 = w3 + o2 * o3;
        string[] names = ["gather", "Hidden1 forward", "Hidden2 forward", "Scores forward", "softmax cross-entropy",
            "Scores backward", "Hidden2 backward (dW, db, dx)", "Hidden1 backward (dW, db)", "SGD momentum"];
        var batches = data.Batches(batch, 3).ToArray();
        int steps = Math.Max(200, 20_000 / batch);
        var times = new double[names.Length][];
        for (int i = 0; i < names.Length; i++) times[i] = new double[steps];
        var warm = Stopwatch.StartNew();
        for (int step = -1; step < steps; step++)
        {
            if (step < 0 && warm.ElapsedMilliseconds < 500) step = -2; // warm up first
            var b = batches[(step + batches.Length * 4) % batches.Length];
            long t0 = Stopwatch.GetTimestamp();
            b.Gather(x, labels);
            long t1 = Stopwatch.GetTimestamp();
            Gemm.Forward<Relu>(x, p.AsSpan(w1, i1 * o1), p.AsSpan(b1, o1), h1, b.Count, i1, o1);
            long t2 = Stopwatch.GetTimestamp();
            Gemm.Forward<Relu>(h1, p.AsSpan(w2, o1 * o2), p.AsSpan(b2, o2), h2, b.Count, o1, o2);
            long t3 = Stopwatch.GetTimestamp();
            Gemm.Forward<Identity>(h2, p.AsSpan(w3, o2 * o3), p.AsSpan(b3, o3), s, b.Count, o2, o3);
            long t4 = Stopwatch.GetTimestamp();
            SoftmaxCrossEntropy.LossAndGradient(s, labels, b.Count, o3, ds);
            long t5 = Stopwatch.GetTimestamp();
            Gemm.WeightGradient(h2, ds, g.AsSpan(w3, o2 * o3), b.Count, o2, o3);
            Gemm.BiasGradient(ds, g.AsSpan(b3, o3), b.Count, o3);
            Gemm.InputGradient<Relu>(ds, p.AsSpan(w3, o2 * o3), h2, dh2, b.Count, o2, o3);
            long t6 = Stopwatch.GetTimestamp();
            Gemm.WeightGradient(h1, dh2, g.AsSpan(w2, o1 * o2), b.Count, o1, o2);
            Gemm.BiasGradient(dh2, g.AsSpan(b2, o2), b.Count, o2);
            Gemm.InputGradient<Relu>(dh2, p.AsSpan(w2, o1 * o2), h1, dh1, b.Count, o1, o2);
            long t7 = Stopwatch.GetTimestamp();
            Gemm.WeightGradient(x, dh1, g.AsSpan(w1, i1 * o1), b.Count, i1, o1);
            Gemm.BiasGradient(dh1, g.AsSpan(b1, o1), b.Count, o1);
            long t8 = Stopwatch.GetTimestamp();
            optimizer.ApplyInPlace(p, g, velocity);
            long t9 = Stopwatch.GetTimestamp();
            if (step < 0) continue;
            long[] marks = [t0, t1, t2, t3, t4, t5, t6, t7, t8, t9];
            for (int i = 0; i < names.Length; i++) times[i][step] = (marks[i + 1] - marks[i]) / (double)Stopwatch.Frequency;
        }
        Console.WriteLine($"batch {batch}, {Parallelism.Threads} thread(s), in the step's own order (wall clock, median of {steps} steps):");
        double total = 0;
        foreach (var (name, t) in names.Zip(times))
        {
            Array.Sort(t);
            double median = t[t.Length / 2];
            total += median;
            Console.WriteLine($"  {name,-36} {median * 1e6,9:F1} µs");
        }
        Console.WriteLine($"  {"sum",-36} {total * 1e6,9:F1} µs  ({1.0 * 1_007_104 * batch / total / 1e9:F1} GFLOP/s)");
    }

    private static void Print(int batch)
    {
        const int i1 = 784, o1 = 256, o2 = 128, o3 = 10;
        var x = Buffer(batch * i1); var h1 = Buffer(batch * o1); var h2 = Buffer(batch * o2); var s = Buffer(batch * o3);
        var ds = Buffer(batch * o3); var dh2 = Buffer(batch * o2); var dh1 = Buffer(batch * o1);
        var p = Buffer(BenchMlp.ParameterCount); var g = Buffer(BenchMlp.ParameterCount);
        var labels = new int[batch];
        var data = Dataset.Create("random", Buffer(4096 * i1), Enumerable.Range(0, 4096).Select(i => i % 10).ToArray(), i1, 10).ThrowIfFail();
        int w1 = 0, b1 = i1 * o1, w2 = b1 + o1, b2 = w2 + o1 * o2, w3 = b2 + o2, b3 = w3 + o2 * o3;

        var rows = new List<(string, double)>();
        fixed (float* px = x, ph1 = h1, ph2 = h2, ps = s, pds = ds, pdh2 = dh2, pdh1 = dh1, pp = p, pg = g)
        fixed (int* pl = labels)
        {
            float* cx = px, ch1 = ph1, ch2 = ph2, cs = ps, cds = pds, cdh2 = pdh2, cdh1 = pdh1, cp = pp, cg = pg;
            int* cl = pl;
            var batchOf = data.Batches(batch, 1).First();
            var xs = x; var ls = labels;
            rows.Add(("gather the batch", Time(() => batchOf.Gather(xs, ls))));
            rows.Add(("Hidden1 forward x·W+b, ReLU", Time(() => Gemm.Forward<Relu>(cx, cp + w1, cp + b1, ch1, batch, i1, o1))));
            rows.Add(("Hidden2 forward", Time(() => Gemm.Forward<Relu>(ch1, cp + w2, cp + b2, ch2, batch, o1, o2))));
            rows.Add(("Scores forward", Time(() => Gemm.Forward<Identity>(ch2, cp + w3, cp + b3, cs, batch, o2, o3))));
            rows.Add(("softmax cross-entropy", Time(() => SoftmaxCrossEntropy.LossAndGradient(cs, cl, batch, o3, cds))));
            rows.Add(("Scores dW, db", Time(() => { Gemm.WeightGradient(ch2, cds, cg + w3, batch, o2, o3); Gemm.BiasGradient(cds, cg + b3, batch, o3); })));
            rows.Add(("Scores dx (dz·Wᵀ ⊙ ReLU′)", Time(() => Gemm.InputGradient<Relu>(cds, cp + w3, ch2, cdh2, batch, o2, o3))));
            rows.Add(("Hidden2 dW, db", Time(() => { Gemm.WeightGradient(ch1, cdh2, cg + w2, batch, o1, o2); Gemm.BiasGradient(cdh2, cg + b2, batch, o2); })));
            rows.Add(("Hidden2 dx (dz·Wᵀ ⊙ ReLU′)", Time(() => Gemm.InputGradient<Relu>(cdh2, cp + w2, ch1, cdh1, batch, o1, o2))));
            rows.Add(("Hidden1 dW, db", Time(() => { Gemm.WeightGradient(cx, cdh1, cg + w1, batch, i1, o1); Gemm.BiasGradient(cdh1, cg + b1, batch, o1); })));
        }
        var optimizer = Sgd.Momentum(0.01f, 0.9f);
        var velocity = optimizer.Init(BenchMlp.ParameterCount);
        rows.Add(("SGD momentum update", Time(() => optimizer.ApplyInPlace(p, g, velocity))));
        double parts = rows.Sum(r => r.Item2);
        // Not part of the momentum step's sum: what Adam's separate pass over the same block would cost in its place.
        var adam = Optimizer.Adam(1e-3f);
        var moments = adam.Init(BenchMlp.ParameterCount);
        var pAdam = p.ToArray();
        double adamPass = Time(() => adam.ApplyInPlace(pAdam, g, moments));

        var state = TrainState.Of(BenchMlp.Init(7), optimizer);
        var many = data.Batches(batch, 2).Take(Math.Max(16, 2048 / batch)).ToArray();
        // The same fold with the optimizer as a separate pass after backward (Fuse = false), interleaved with the
        // fused one, for the fusion's A/B under the same background load.
        var unfused = state with { Optimizer = optimizer with { Fuse = false } };
        var warmFold = Stopwatch.StartNew();
        while (warmFold.ElapsedMilliseconds < 400) { state = many.Fold(state, BenchMlp.Step); unfused = many.Fold(unfused, BenchMlp.Step); }
        double whole = double.MaxValue, wholeWall = double.MaxValue;
        var fusedTimes = new List<double>();
        var separateTimes = new List<double>();
        for (int i = 0; i < 15; i++)
        {
            double start = ThreadClock.Now();
            var clock = Stopwatch.StartNew();
            state = many.Fold(state, BenchMlp.Step);
            wholeWall = Math.Min(wholeWall, clock.Elapsed.TotalSeconds / many.Length);
            double t = (ThreadClock.Now() - start) / many.Length;
            whole = Math.Min(whole, t);
            fusedTimes.Add(t);
            start = ThreadClock.Now();
            unfused = many.Fold(unfused, BenchMlp.Step);
            separateTimes.Add((ThreadClock.Now() - start) / many.Length);
        }
        double fusedMedian = Median(fusedTimes), separate = Median(separateTimes);

        Console.WriteLine($"batch {batch}, {Parallelism.Threads} thread(s): best on-CPU µs of the calling thread (with 2+ threads the parts run partly elsewhere: read the wall clock)");
        foreach (var (name, t) in rows) Console.WriteLine($"  {name,-36} {t * 1e6,9:F1} µs  {t / whole,6:P1}");
        Console.WriteLine($"  {"sum of the parts",-36} {parts * 1e6,9:F1} µs");
        Console.WriteLine($"  {"(Adam update in place of momentum's)",-36} {adamPass * 1e6,9:F1} µs  {adamPass / whole,6:P1}");
        Console.WriteLine($"  {"whole step (Fold)",-36} {whole * 1e6,9:F1} µs  ({1.0 * 1_007_104 * batch / whole / 1e9:F1} GFLOP/s)");
        Console.WriteLine($"  {"whole step (Fold), wall clock",-36} {wholeWall * 1e6,9:F1} µs  ({1.0 * 1_007_104 * batch / wholeWall / 1e9:F1} GFLOP/s)");
        Console.WriteLine($"  {"whole step, median of 15",-36} {fusedMedian * 1e6,9:F1} µs");
        Console.WriteLine($"  {"… optimizer not fused, median of 15",-36} {separate * 1e6,9:F1} µs  (fusion saves {1 - fusedMedian / separate:P1})");
    }

    /// <summary>
    /// Two folds of the same batches (32 of them, from a 55,000-row set) in alternating order, wall clock per step:
    /// <c>fusion</c> sets the optimizer fused into backward against it as a separate pass (<c>Fuse = false</c>),
    /// <c>batchnorm</c> the batch-norm network against the plain one, <c>monitoring</c> a fold watched as the example's
    /// --plots/--metrics watch it (a RunRecorder, layer statistics every 50 steps) against an unwatched one. Prints the medians of each and of the per-pair
    /// ratios, so a change is judged under the same background load. <c>adam</c> sets Adam (lr 1e-3) against SGD momentum,
    /// both fused, on the plain network and Fashion-MNIST; <c>adambytes</c> two momentum traces in a row (θ, g and two state
    /// arrays, Adam's streams, with momentum's arithmetic) against one, on the same data.
    /// </summary>
    private static int Pairs(string mode, int[] numbers)
    {
        int batch = numbers.Length > 0 ? numbers[0] : 64;
        Parallelism.Threads = numbers.Length > 1 ? numbers[1] : 1;
        int pairs = numbers.Length > 2 ? numbers[2] : 31;
        // Adam on uniform noise with arbitrary labels is a pathological run: most units die, the gradients they pass are 0,
        // and m decays through the subnormals (measured: 230,000 of the 235,146 m subnormal after 8,000 steps, Adam ÷
        // momentum 1.37 against 1.14 on Fashion-MNIST); so Adam's pairs train on the real, standardised data, as `compare` does.
        var data = mode is "adam" or "adambytes" ? Comparison.LoadFashionMnist() : RandomData(784);
        // Monitoring's default cadence is a statistics step every 50: folds of 150 steps hold three of them.
        var batches = data.Batches(batch, 2).Take(mode == "monitoring" ? 150 : 32).ToArray();
        var optimizer = Sgd.Momentum(0.01f, 0.9f);
        var plain = TrainState.Of(BenchMlp.Init(7), optimizer);
        var (nameA, nameB, a, b) = mode switch
        {
            "fusion" => ("optimizer fused", "optimizer separate", Folds(plain), Folds(plain with { Optimizer = optimizer with { Fuse = false } })),
            "batchnorm" => ("batch norm", "plain", Folds(TrainState.Of(BenchBnMlp.Init(7), optimizer)), Folds(plain)),
            "monitoring" => ("monitored", "unwatched", Folds(plain, () => new Functional.Monitoring.RunRecorder(layerStatisticsEvery: 50, expectedSteps: batches.Length)), Folds(plain)),
            "adam" => ("Adam", "momentum", Folds(TrainState.Of(BenchMlp.Init(7), Optimizer.Adam(1e-3f))), Folds(plain)),
            // Two momentum traces in a row stream θ, g and two state arrays as Adam does, with momentum's arithmetic.
            "adambytes" => ("2 traces", "momentum", Folds(TrainState.Of(BenchMlp.Init(7), Optimizer.Chain(new Functional.Optimizers.Trace(0.9f), new Functional.Optimizers.Trace(0.9f), new ScaleByLearningRate(0.01f)))), Folds(plain)),
            _ => throw new ArgumentException($"unknown mode {mode}"),
        };
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 1000) { a(); b(); }
        var timesA = new List<double>();
        var timesB = new List<double>();
        var ratios = new List<double>();
        for (int pair = 0; pair < pairs; pair++)
        {
            double ta, tb;
            if (pair % 2 == 0) { ta = a(); tb = b(); }
            else { tb = b(); ta = a(); }
            timesA.Add(ta); timesB.Add(tb); ratios.Add(ta / tb);
        }
        Console.WriteLine($"batch {batch}, {Parallelism.Threads} thread(s), {pairs} interleaved pairs of {batches.Length}-step folds, wall clock per step:");
        Console.WriteLine($"  {nameA,-20} median {Median(timesA) * 1e6,8:F1} µs");
        Console.WriteLine($"  {nameB,-20} median {Median(timesB) * 1e6,8:F1} µs");
        var sorted = ratios.Order().ToList();
        Console.WriteLine($"  {nameA + " ÷ " + nameB,-20} median {Median(ratios):F3}  (quartiles {sorted[sorted.Count / 4]:F3}–{sorted[3 * sorted.Count / 4]:F3})");
        return 0;

        // One fold of the batches per call, the state carried on, timed per step.
        // With an observer, a fresh one per fold (made before the clock starts), as a run makes one per run.
        Func<double> Folds<TNet>(TrainState<TNet> state, Func<IStepObserver>? watch = null) where TNet : class, INetwork<TNet>
        {
            var step = new TrainStep<TNet>();
            return () =>
            {
                var observer = watch?.Invoke();
                var clock = Stopwatch.StartNew();
                state = batches.Fold(state, step, observer);
                return clock.Elapsed.TotalSeconds / batches.Length;
            };
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>A data set of <see cref="datasetRows"/> rows of uniform [0, 1) features and labels 0–9 in turn.</summary>
    private static Dataset RandomData(int inputs)
    {
        var random = new SeededRandom(5);
        var features = new float[(long)datasetRows * inputs];
        for (int i = 0; i < features.Length; i++) features[i] = (float)random.NextDouble();
        return Dataset.Create("random", features, Enumerable.Range(0, datasetRows).Select(i => i % 10).ToArray(), inputs, 10).ThrowIfFail();
    }

    /// <summary>
    /// The optimizer's update over a block on one thread, as the fused step runs it (<see cref="UpdatePass.Step"/>: the
    /// rule piece by piece, then θ + u), and each link of it alone, in ns per parameter for blocks whose parameters, gradient
    /// and state fit in L1 (1,024 parameters), in L2 (16,384) or only in L3 (the network's 235,146). A fresh gradient is
    /// copied into each piece just before the pass reaches it, so it is in L1 as a just-finished row block of the weight
    /// gradient is in cache, and momentum's velocity does not decay into denormals; the copy alone is the first row and is
    /// subtracted from the others. The L1 column is what the arithmetic costs (adds, multiplies, Adam's √ and two ÷);
    /// what the larger blocks add to it is the memory traffic of θ and the state (velocity, or m and v).
    /// Every pass and size is timed once per round, round after round, and each keeps its best round: a stretch of noise
    /// (on this shared host the thread's CPU clock also counts time the host took the vCPU away) then spoils a round of
    /// every row alike instead of all the rounds of one.
    /// </summary>
    private static int UpdatePasses()
    {
        Parallelism.Threads = 1;
        int[] sizes = [1024, 16_384, BenchMlp.ParameterCount];
        var passes = new (string Name, Func<int, Pass> Make)[]
        {
            ("copy the gradient in (subtracted below)", _ => new Pass(() => { }, (_, _, _) => { })),
            ("θ + u", _ => new Pass(() => { }, (_, g, theta) => TensorPrimitives.Add(theta, g, theta))),
            ("× −lr (scale_by_learning_rate)", n => Link(new ScaleByLearningRate(0.01f), n)),
            ("trace (momentum's v ← μv + g)", n => Link(new Functional.Optimizers.Trace(0.9f), n)),
            ("scale_by_adam (m, v, √, 2 ÷)", n => Link(new ScaleByAdam(), n)),
            ("SGD momentum step (as fused)", n => Step(Sgd.Momentum(0.01f, 0.9f), n)),
            ("Adam step (as fused)", n => Step(Optimizer.Adam(1e-3f), n)),
            ("2 traces step (Adam's bytes, as fused)", n => Step(Optimizer.Chain(new Functional.Optimizers.Trace(0.9f), new Functional.Optimizers.Trace(0.9f), new ScaleByLearningRate(0.01f)), n)),
            ("Adam's loop, this file's copy", n => Variant(AdamCost.Kind.Adam, n)),
            ("  √ replaced by v (÷ alone)", n => Variant(AdamCost.Kind.DivideOnly, n)),
            ("  ÷ replaced by × (√ alone)", n => Variant(AdamCost.Kind.SqrtOnly, n)),
            ("  neither √ nor ÷", n => Variant(AdamCost.Kind.Neither, n)),
            ("  prefetch m, v, θ 64 ahead", n => Variant(AdamCost.Kind.Prefetch64, n)),
            ("  prefetch m, v, θ 256 ahead", n => Variant(AdamCost.Kind.Prefetch256, n)),
            ("  m, v interleaved (8 + 8)", n => Variant(AdamCost.Kind.Interleaved, n)),
            ("  m, v interleaved, prefetch", n => Variant(AdamCost.Kind.InterleavedPrefetch, n)),
            ("  g × 1e-3 (all normal)", n => Variant(AdamCost.Kind.Scaled, n)),
            ("  g × 1e-36 (m, g² subnormal)", n => Variant(AdamCost.Kind.Subnormal, n)),
            ("  candidate: √, rcp + Newton", n => Variant(AdamCost.Kind.Reciprocal, n)),
            ("  candidate: rsqrt, rcp + Newton", n => Variant(AdamCost.Kind.Estimates, n)),
            ("  Adam's bytes only (m, v, θ += g)", n => Variant(AdamCost.Kind.Stream, n)),
        };
        var runs = passes.Select(p => sizes.Select(n => new Timed(n, p.Make(n))).ToArray()).ToArray();
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 1000)
            foreach (var run in runs.SelectMany(r => r)) run.Call();
        for (int round = 0; round < 25; round++)
            foreach (var run in runs.SelectMany(r => r)) run.Round();

        Console.WriteLine("optimizer update pass, 1 thread, best of 25 interleaved rounds on the thread's CPU clock: ns per parameter (µs for 235,146 parameters)");
        Console.WriteLine($"  {"parameters in the block:",-40}{string.Join("", sizes.Select(n => $"{n,24:N0}"))}");
        for (int row = 0; row < passes.Length; row++)
        {
            var shown = runs[row].Select((run, i) => (run.Best - (row == 0 ? 0 : runs[0][i].Best)) * 1e9).ToArray();
            Console.WriteLine($"  {passes[row].Name,-40}{string.Join("", shown.Select(v => $"{v,14:F3} ({v * BenchMlp.ParameterCount / 1e3,6:F1})"))}");
        }
        return 0;

        static Pass Variant(AdamCost.Kind kind, int n)
        {
            var (begin, piece) = AdamCost.Make(kind, n);
            return new Pass(begin, (at, g, theta) => piece(at, g, theta));
        }

        // One link alone, piece by piece, as a chain runs its links.
        static Pass Link(Optimizer link, int n)
        {
            var bound = link.Init(n).BindingFor(link);
            return new Pass(bound.Begin, (at, g, theta) => bound.Transform(at, g, theta));
        }

        // The whole optimizer as FusedUpdate.Apply and the weight gradient's row blocks run it.
        static Pass Step(Optimizer optimizer, int n)
        {
            var bound = optimizer.Init(n).BindingFor(optimizer);
            return new Pass(bound.Begin, (at, g, theta) => UpdatePass.Step(bound, at, g, theta));
        }
    }

    private delegate void PieceAction(int offset, Span<float> gradient, Span<float> parameters);

    /// <summary>One step of an update pass: <see cref="Begin"/> once, then <see cref="Piece"/> over each piece of the block.</summary>
    private sealed record Pass(Action Begin, PieceAction Piece);

    /// <summary>A pass over its own block of <see cref="n"/> parameters, with the best seconds per parameter of its rounds so far.</summary>
    private sealed class Timed(int n, Pass pass)
    {
        private readonly float[] source = Gradient(n), g = new float[n], theta = Buffer(n);
        // Rounds of about 2 million parameters: well above the clock's resolution, short enough to interleave finely.
        private readonly int calls = Math.Max(1, 2_000_000 / n);

        public double Best { get; private set; } = double.MaxValue;

        private static float[] Gradient(int n)
        {
            var values = Buffer(n);
            for (int i = 0; i < n; i++) values[i] *= 0.1f; // about 1e-3, as in training
            return values;
        }

        public void Call()
        {
            pass.Begin();
            for (int at = 0; at < n; at += UpdatePass.Piece)
            {
                int m = Math.Min(UpdatePass.Piece, n - at);
                source.AsSpan(at, m).CopyTo(g.AsSpan(at, m));
                pass.Piece(at, g.AsSpan(at, m), theta.AsSpan(at, m));
            }
        }

        public void Round()
        {
            double start = ThreadClock.Now();
            for (int i = 0; i < calls; i++) Call();
            Best = Math.Min(Best, (ThreadClock.Now() - start) / calls / n);
        }
    }

    private static float[] Buffer(int n)
    {
        var random = new SeededRandom(n);
        var values = GC.AllocateArray<float>(n, pinned: true);
        for (int i = 0; i < n; i++) values[i] = (float)(random.NextDouble() - 0.5) * 0.1f;
        return values;
    }

    /// <summary>Best per-call on-CPU time over several rounds, after warming up to the optimised tier.</summary>
    private static double Time(Action action)
    {
        // Tiered compilation promotes a method ~100 ms after its 30th call: warm up for longer than that.
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 400) action();
        double best = double.MaxValue;
        for (int round = 0; round < 7; round++)
        {
            int n = 20;
            double start = ThreadClock.Now();
            for (int i = 0; i < n; i++) action();
            best = Math.Min(best, (ThreadClock.Now() - start) / n);
        }
        return best;
    }
}
