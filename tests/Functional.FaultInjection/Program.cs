// Saves and checks model files on command, so a test can kill it mid-save, fill its disk or cap its file size.
using Functional;
using Functional.Data;
using Functional.Dsl;
using Functional.Persistence;

// save PATH SEED COUNT: save COUNT models (numbered SEED, SEED+1, …) to PATH, printing "saving N" before and "saved N" after each; exit 1 on a failed save.
// check PATH: load PATH; print "loads N" (the number of the save it holds) and "temporaries N" (leftover temporary files beside it).
return args switch
{
    ["save", var path, var seed, var count] => Save(path, int.Parse(seed), int.Parse(count)),
    ["check", var path] => Check(path),
    _ => Usage(),
};

static int Save(string path, int seed, int count)
{
    var pipeline = Preprocess.None.Fit(Dataset.Create("one row", new float[FaultNet.InputCount], [0], FaultNet.InputCount, 10).ThrowIfFail());
    var parameters = FaultNet.Init(seed).Parameters.ToArray();
    for (int s = seed; s < seed + count; s++)
    {
        // The seed rides in the last bias, so a check can tell which save a file holds at no cost.
        parameters[^1] = s;
        var model = FaultNet.FromParameters((float[])parameters.Clone());
        Console.WriteLine($"saving {s}");
        var saved = ModelFile.Save(path, model, pipeline);
        if (saved.IsFail)
        {
            Console.WriteLine($"failed {saved.Match(_ => "", e => e.Message)}");
            return 1;
        }
        Console.WriteLine($"saved {s}");
    }
    return 0;
}

static int Check(string path)
{
    var loaded = ModelFile.Load<FaultNet>(path);
    int temporaries = Directory.GetFiles(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileName(path) + ".tmp-*").Length;
    Console.WriteLine(loaded.Match(m => $"loads {SeedOf(m.Model)}", e => $"broken {e.Message}"));
    Console.WriteLine($"temporaries {temporaries}");
    return loaded.IsSucc ? 0 : 1;
}

static int SeedOf(FaultNet model) => (int)model.Parameters.Span[^1];

static int Usage()
{
    Console.Error.WriteLine("usage: Functional.FaultInjection save PATH SEED COUNT | check PATH");
    return 2;
}

/// <summary>Fashion-MNIST-sized, so a save writes about 0.8 MB and takes long enough to be interrupted.</summary>
[Network(Inputs = 784)]
public sealed partial record FaultNet(
    [Dense(256), Relu] Dense Hidden,
    [Dense(10), SoftmaxCrossEntropy] Dense Scores);
