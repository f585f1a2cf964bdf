// Entry point: `compare` runs the side-by-side table with PyTorch, `peak` probes FMA throughput, `profile` splits a step by kernel, anything else goes to BenchmarkDotNet.
using BenchmarkDotNet.Running;
using Functional.Benchmarks;

return args.FirstOrDefault() switch
{
    "compare" => Comparison.Run(args[1..]),
    "peak" => Peak.Run(),
    "profile" => Profile.Run(args[1..]),
    _ => Run(args),
};

static int Run(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(BenchMlp).Assembly).Run(args);
    return 0;
}
