// `profile update`'s rows that split Adam's step into its bytes and its arithmetic: Adam's loop with the √ or the ÷ (or both) taken out, and a pure stream over Adam's bytes.
using System.Runtime.CompilerServices;
using Functional.Kernels;
using Functional.Optimizers;

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
        /// <summary>Only the streams: m += g, v += g, θ += m, the fewest operations that read and write Adam's bytes.</summary>
        Stream,
    }

    /// <summary>A pass for <c>profile update</c> over <paramref name="n"/> parameters with its own m and v.</summary>
    public static (Action Begin, Action<int, Span<float>, Span<float>> Piece) Make(Kind kind, int n)
    {
        var m = GC.AllocateArray<float>(n, pinned: true);
        var v = GC.AllocateArray<float>(n, pinned: true);
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
