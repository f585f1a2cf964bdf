// `profile update`'s rows that split Adam's step into its bytes and its arithmetic (√ or ÷ taken out, a pure stream, estimate candidates, layouts, a prefetch, subnormals), and `profile census`'s count of subnormal moments.
using System.Runtime.CompilerServices;
using Functional.Kernels;
using Functional.Data;
using Functional.Optimizers;
using Functional.Training;

namespace Functional.Benchmarks;

/// <summary>
/// Variants of Adam's fused in-place step (g from u; m, v and θ read and written) that keep its loads and stores and
/// change only its arithmetic, so that the difference between two rows of `profile update` is what one operation costs
/// in the real loop: √ replaced by the identity, ÷ by ×, both, or only the moment updates and θ += m·c (no direction).
/// Their results are not Adam's; they are timed, never used.
/// </summary>
internal static unsafe class AdamCost
{
    /// <summary>Which arithmetic a variant keeps.</summary>
    public enum Kind
    {
        /// <summary>Adam's own formula, as <see cref="ScaleByAdam"/>'s step: the check that these rows measure the library's loop.</summary>
        Adam,
        /// <summary>√v replaced by v: the ÷ alone.</summary>
        DivideOnly,
        /// <summary>÷ replaced by ×: the √ alone.</summary>
        SqrtOnly,
        /// <summary>Neither √ nor ÷: the same multiplies and adds as Adam with × in the ÷'s place.</summary>
        Neither,
        /// <summary>Candidate: exact √, the ÷ by an rcp estimate refined by one Newton step (AVX only).</summary>
        Reciprocal,
        /// <summary>Candidate: √v as v·rsqrt(v) and the ÷ as rcp, each estimate refined by one Newton step (AVX only).</summary>
        Estimates,
        /// <summary>Adam's formula with a software prefetch of m, v and θ 64 floats ahead.</summary>
        Prefetch64,
        /// <summary>Adam's formula with a software prefetch of m, v and θ 256 floats ahead.</summary>
        Prefetch256,
        /// <summary>Adam's formula over m and v interleaved in one buffer, 8 floats of m then 8 of v: three streams instead of four.</summary>
        Interleaved,
        /// <summary><see cref="Interleaved"/> with the prefetch of <see cref="Prefetch256"/>.</summary>
        InterleavedPrefetch,
        /// <summary>Adam's formula on gradients scaled by 1e-36: m and the gradient's products are subnormal, as for a unit that rarely fires.</summary>
        Subnormal,
        /// <summary>Adam's formula on gradients scaled by 1e-3 (the same extra multiply as <see cref="Subnormal"/>, every value normal).</summary>
        Scaled,
        /// <summary>Only the streams: m += g, v += g, θ += m, the fewest operations that read and write Adam's bytes.</summary>
        Stream,
    }

    /// <summary>
    /// `profile census`: trains the README network with Adam (lr 1e-3, batch 64) on Fashion-MNIST and counts, every 100
    /// steps, how many of m and v are subnormal or zero: whether subnormals, which slow Adam's loop (the g × 1e-36 row of
    /// `profile update`), are common enough in a real run to matter.
    /// </summary>
    public static int Census()
    {
        Parallelism.Threads = 1;
        var data = Comparison.LoadFashionMnist();
        var state = TrainState.Of(BenchMlp.Init(7), Optimizer.Adam(1e-3f));
        var step = new TrainStep<BenchMlp>();
        var batches = data.Batches(64, 1).ToArray();
        Console.WriteLine($"Adam, batch 64, {batches.Length} steps an epoch: m and v subnormal / zero, of {BenchMlp.ParameterCount:N0}");
        for (int done = 0; done < 2 * batches.Length;)
        {
            int from = done % batches.Length, to = Math.Min(from + 100, batches.Length);
            state = batches[from..to].Fold(state, step);
            done += to - from;
            var adam = state.OptimizerState.Find<AdamState>()!;
            Console.WriteLine($"  after {done,5} steps: m {Count(adam.M, subnormal: true),7:N0} / {Count(adam.M, subnormal: false),7:N0}   v {Count(adam.V, subnormal: true),7:N0} / {Count(adam.V, subnormal: false),7:N0}");
        }
        return 0;

        static int Count(ReadOnlySpan<float> values, bool subnormal)
        {
            int n = 0;
            foreach (float x in values) if (subnormal ? float.IsSubnormal(x) : x == 0f) n++;
            return n;
        }
    }

    /// <summary>A pass for <c>profile update</c> over <paramref name="n"/> parameters with its own m and v.</summary>
    public static (Action Begin, Action<int, Span<float>, Span<float>> Piece) Make(Kind kind, int n)
    {
        var m = GC.AllocateArray<float>(n, pinned: true);
        var v = GC.AllocateArray<float>(n, pinned: true);
        var mv = GC.AllocateArray<float>(2 * n + 16, pinned: true);
        return (() => { }, (at, g, theta) =>
        {
            fixed (float* u = g, t = theta, mm = m.AsSpan(at, g.Length), vv = v.AsSpan(at, g.Length))
            {
                switch (kind)
                {
                    case Kind.Adam: Run<Lanes.On, Lanes.On>(u, mm, vv, t, g.Length); break;
                    case Kind.DivideOnly: Run<Lanes.Off, Lanes.On>(u, mm, vv, t, g.Length); break;
                    case Kind.SqrtOnly: Run<Lanes.On, Lanes.Off>(u, mm, vv, t, g.Length); break;
                    case Kind.Neither: Run<Lanes.Off, Lanes.Off>(u, mm, vv, t, g.Length); break;
                    case Kind.Prefetch64:
                        var near = new PrefetchBody(mm, vv, t, 0.9f, 0.999f, 0.1f, 0.001f, 1e-8f, 0.3f, -1e-3f, 64);
                        Lanes.Run(ref near, u, g.Length);
                        break;
                    case Kind.Prefetch256:
                        var far = new PrefetchBody(mm, vv, t, 0.9f, 0.999f, 0.1f, 0.001f, 1e-8f, 0.3f, -1e-3f, 256);
                        Lanes.Run(ref far, u, g.Length);
                        break;
                    case Kind.Interleaved or Kind.InterleavedPrefetch:
                        fixed (float* both = mv)
                        {
                            float* at0 = both + 2 * at; // pieces start at multiples of 1,024, so on a block of 8
                            if (kind == Kind.Interleaved)
                            {
                                var pairs = new InterleavedBody<Lanes.Off>(at0, t, 0.9f, 0.999f, 0.1f, 0.001f, 1e-8f, 0.3f, -1e-3f);
                                Lanes.Run(ref pairs, u, g.Length);
                            }
                            else
                            {
                                var pairs = new InterleavedBody<Lanes.On>(at0, t, 0.9f, 0.999f, 0.1f, 0.001f, 1e-8f, 0.3f, -1e-3f);
                                Lanes.Run(ref pairs, u, g.Length);
                            }
                        }
                        break;
                    case Kind.Subnormal or Kind.Scaled:
                        var scaled = new ScaledBody(mm, vv, t, 0.9f, 0.999f, 0.1f, 0.001f, 1e-8f, 0.3f, -1e-3f, kind == Kind.Subnormal ? 1e-36f : 1e-3f);
                        Lanes.Run(ref scaled, u, g.Length);
                        break;
                    case Kind.Reciprocal:
                        var reciprocal = new EstimateBody<Lanes.Off>(mm, vv, t, 0.9f, 0.999f, 0.1f, 0.001f, 1e-8f, 0.3f, -1e-3f);
                        Lanes.Run(ref reciprocal, u, g.Length);
                        break;
                    case Kind.Estimates:
                        var estimates = new EstimateBody<Lanes.On>(mm, vv, t, 0.9f, 0.999f, 0.1f, 0.001f, 1e-8f, 0.3f, -1e-3f);
                        Lanes.Run(ref estimates, u, g.Length);
                        break;
                    default:
                        var stream = new StreamBody(mm, vv, t);
                        Lanes.Run(ref stream, u, g.Length);
                        break;
                }
            }
        });
    }

    private static void Run<TSqrt, TDivide>(float* u, float* m, float* v, float* theta, int count) where TSqrt : struct, Lanes.IFlag where TDivide : struct, Lanes.IFlag
    {
        var body = new Body<TSqrt, TDivide>(m, v, theta, 0.9f, 0.999f, 0.1f, 0.001f, 1e-8f, 0.3f, -1e-3f);
        Lanes.Run(ref body, u, count);
    }

    private readonly struct Body<TSqrt, TDivide>(float* m, float* v, float* theta, float beta1, float beta2, float rest1, float rest2, float eps, float correction1, float c) : Lanes.IBody
        where TSqrt : struct, Lanes.IFlag where TDivide : struct, Lanes.IFlag
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct
        {
            TV mi = TS.Add(TS.Multiply(TS.Load(m + i), TS.Broadcast(beta1)), TS.Multiply(g, TS.Broadcast(rest1)));
            TV vi = TS.Add(TS.Multiply(TS.Load(v + i), TS.Broadcast(beta2)), TS.Multiply(TS.Multiply(g, TS.Broadcast(rest2)), g));
            TS.Store(m + i, mi);
            TS.Store(v + i, vi);
            TV root = TSqrt.IsOn ? TS.Sqrt(vi) : vi;
            TV numerator = TS.Multiply(mi, TS.Broadcast(correction1)), denominator = TS.Add(root, TS.Broadcast(eps));
            TV d = TDivide.IsOn ? TS.Divide(numerator, denominator) : TS.Multiply(numerator, denominator);
            TS.Store(theta + i, TS.Add(TS.Load(theta + i), TS.Multiply(d, TS.Broadcast(c))));
        }
    }

    private readonly struct EstimateBody<TRsqrt>(float* m, float* v, float* theta, float beta1, float beta2, float rest1, float rest2, float eps, float correction1, float c) : Lanes.IBody
        where TRsqrt : struct, Lanes.IFlag
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct
        {
            TV mi = TS.Add(TS.Multiply(TS.Load(m + i), TS.Broadcast(beta1)), TS.Multiply(g, TS.Broadcast(rest1)));
            TV vi = TS.Add(TS.Multiply(TS.Load(v + i), TS.Broadcast(beta2)), TS.Multiply(TS.Multiply(g, TS.Broadcast(rest2)), g));
            TS.Store(m + i, mi);
            TS.Store(v + i, vi);
            TV root;
            if (TRsqrt.IsOn)
            {
                TV y = Rsqrt<TV>(TS.Max(vi, TS.Broadcast(1.17549435e-38f)));
                // y·(1.5 − 0.5·v·y²)
                y = TS.Multiply(y, TS.Subtract(TS.Broadcast(1.5f), TS.Multiply(TS.Multiply(TS.Broadcast(0.5f), vi), TS.Multiply(y, y))));
                root = TS.Multiply(vi, y);
            }
            else root = TS.Sqrt(vi);
            TV s = TS.Add(root, TS.Broadcast(eps));
            TV r = Rcp<TV>(s);
            r = TS.Multiply(r, TS.Subtract(TS.Broadcast(2f), TS.Multiply(s, r)));
            TV d = TS.Multiply(TS.Multiply(mi, TS.Broadcast(correction1)), r);
            TS.Store(theta + i, TS.Add(TS.Load(theta + i), TS.Multiply(d, TS.Broadcast(c))));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TV Rcp<TV>(TV x) where TV : struct
        {
            if (typeof(TV) == typeof(System.Runtime.Intrinsics.Vector256<float>))
                return (TV)(object)System.Runtime.Intrinsics.X86.Avx.Reciprocal((System.Runtime.Intrinsics.Vector256<float>)(object)x);
            if (typeof(TV) == typeof(float)) return (TV)(object)(1f / (float)(object)x);
            throw new PlatformNotSupportedException("the estimate rows time 256-bit vectors only");
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TV Rsqrt<TV>(TV x) where TV : struct
        {
            if (typeof(TV) == typeof(System.Runtime.Intrinsics.Vector256<float>))
                return (TV)(object)System.Runtime.Intrinsics.X86.Avx.ReciprocalSqrt((System.Runtime.Intrinsics.Vector256<float>)(object)x);
            if (typeof(TV) == typeof(float)) return (TV)(object)(1f / MathF.Sqrt((float)(object)x));
            throw new PlatformNotSupportedException("the estimate rows time 256-bit vectors only");
        }
    }

    private readonly struct PrefetchBody(float* m, float* v, float* theta, float beta1, float beta2, float rest1, float rest2, float eps, float correction1, float c, int ahead) : Lanes.IBody
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(m + i + ahead);
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(v + i + ahead);
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(theta + i + ahead);
            TV mi = TS.Add(TS.Multiply(TS.Load(m + i), TS.Broadcast(beta1)), TS.Multiply(g, TS.Broadcast(rest1)));
            TV vi = TS.Add(TS.Multiply(TS.Load(v + i), TS.Broadcast(beta2)), TS.Multiply(TS.Multiply(g, TS.Broadcast(rest2)), g));
            TS.Store(m + i, mi);
            TS.Store(v + i, vi);
            TV d = TS.Divide(TS.Multiply(mi, TS.Broadcast(correction1)), TS.Add(TS.Sqrt(vi), TS.Broadcast(eps)));
            TS.Store(theta + i, TS.Add(TS.Load(theta + i), TS.Multiply(d, TS.Broadcast(c))));
        }
    }

    private readonly struct InterleavedBody<TPrefetch>(float* mv, float* theta, float beta1, float beta2, float rest1, float rest2, float eps, float correction1, float c) : Lanes.IBody
        where TPrefetch : struct, Lanes.IFlag
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct
        {
            float* m = mv + 2 * (i & ~7) + (i & 7), v = m + 8;
            if (TPrefetch.IsOn)
            {
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(m + 512);
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(theta + i + 256);
            }
            TV mi = TS.Add(TS.Multiply(TS.Load(m), TS.Broadcast(beta1)), TS.Multiply(g, TS.Broadcast(rest1)));
            TV vi = TS.Add(TS.Multiply(TS.Load(v), TS.Broadcast(beta2)), TS.Multiply(TS.Multiply(g, TS.Broadcast(rest2)), g));
            TS.Store(m, mi);
            TS.Store(v, vi);
            TV d = TS.Divide(TS.Multiply(mi, TS.Broadcast(correction1)), TS.Add(TS.Sqrt(vi), TS.Broadcast(eps)));
            TS.Store(theta + i, TS.Add(TS.Load(theta + i), TS.Multiply(d, TS.Broadcast(c))));
        }
    }

    private readonly struct ScaledBody(float* m, float* v, float* theta, float beta1, float beta2, float rest1, float rest2, float eps, float correction1, float c, float factor) : Lanes.IBody
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct
        {
            g = TS.Multiply(g, TS.Broadcast(factor));
            TV mi = TS.Add(TS.Multiply(TS.Load(m + i), TS.Broadcast(beta1)), TS.Multiply(g, TS.Broadcast(rest1)));
            TV vi = TS.Add(TS.Multiply(TS.Load(v + i), TS.Broadcast(beta2)), TS.Multiply(TS.Multiply(g, TS.Broadcast(rest2)), g));
            TS.Store(m + i, mi);
            TS.Store(v + i, vi);
            TV d = TS.Divide(TS.Multiply(mi, TS.Broadcast(correction1)), TS.Add(TS.Sqrt(vi), TS.Broadcast(eps)));
            TS.Store(theta + i, TS.Add(TS.Load(theta + i), TS.Multiply(d, TS.Broadcast(c))));
        }
    }

    private readonly struct StreamBody(float* m, float* v, float* theta) : Lanes.IBody
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void At<TS, TV>(int i, TV g) where TS : ISimd<TV> where TV : struct
        {
            TV mi = TS.Add(TS.Load(m + i), g);
            TS.Store(m + i, mi);
            TS.Store(v + i, TS.Add(TS.Load(v + i), g));
            TS.Store(theta + i, TS.Add(TS.Load(theta + i), mi));
        }
    }
}
