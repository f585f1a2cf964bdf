// Writes what bench/torch_step.py needs to train PyTorch's CNN step for step with ours: FashionCnn.Init(seed)'s parameters and the standardised built-in subset.
#:project ../examples/FashionMnist/FashionMnist.csproj
#:property TreatWarningsAsErrors=true
// Run: dotnet run bench/torch_step_input.cs -- OUT.bin [SEED]
//
// The file is little-endian: "FNTS" and a version (1), the seed, the parameter count and the parameters in the
// generated layout's order (conv W [F, C, K, K] then b; dense W [inputs, outputs] then b), then rows, features and
// classes of the standardised training part of the subset, its features (float32, row after row) and labels (int32).
// Standardisation is the example's (Preprocess.Standardize(Granularity.Scalar) fitted on these rows), so the torch side
// reads the very floats our fold trains on rather than recomputing them with other rounding.
using Functional.Data;
using FashionExample;

if (args.Length is < 1 or > 2 || args.Length == 2 && !int.TryParse(args[1], out _))
{
    Console.Error.WriteLine("usage: dotnet run bench/torch_step_input.cs -- OUT.bin [SEED]  (SEED a whole number, default 1)");
    return 2;
}
int seed = args.Length == 2 ? int.Parse(args[1]) : 1;
var subset = FashionMnist.FromBuiltInSubset().ThrowIfFail();
var train = Preprocess.Standardize(Granularity.Scalar).Fit(subset.Train).Apply(subset.Train);
var model = FashionCnn.Init(seed);

using (var output = new BinaryWriter(File.Create(args[0])))
{
    output.Write("FNTS"u8);
    output.Write(1);
    output.Write(seed);
    output.Write(FashionCnn.ParameterCount);
    foreach (float p in model.Parameters.Span) output.Write(p);
    output.Write(train.Count);
    output.Write(train.FeatureCount);
    output.Write(train.ClassCount);
    foreach (float x in train.Features) output.Write(x);
    foreach (int y in train.Labels) output.Write(y);
}
Console.WriteLine($"{args[0]}: FashionCnn.Init({seed}) ({FashionCnn.ParameterCount:N0} parameters), {train.Count:N0} standardised rows of {subset.Source}");
return 0;
