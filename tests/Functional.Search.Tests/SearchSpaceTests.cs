// The search space: bounds checked when built, sampling reproducible from a seed and per trial number, log-uniform by decade, and the study definition's JSON round trip.
using Functional.Search;

namespace Functional.Search.Tests;

public sealed class SearchSpaceTests
{
    private static SearchSpace Space() => new(
        Dimension.LogUniform("lr", 1e-4, 1),
        Dimension.LogUniform("l2", 1e-6, 1e-1),
        Dimension.Uniform("momentum", 0.5, 0.99),
        Dimension.Integer("hidden", 16, 512, log: true),
        Dimension.Integer("layers", 1, 3),
        Dimension.Categorical("activation", "relu", "tanh", "elu"));

    [Fact]
    public void The_same_seed_and_trial_number_give_the_same_hyperparameters_in_any_order()
    {
        var space = Space();
        var forwards = Enumerable.Range(0, 50).Select(i => space.Sample(seed: 7, trialNumber: i)).ToArray();
        var backwards = Enumerable.Range(0, 50).Reverse().Select(i => space.Sample(7, i)).Reverse().ToArray();
        Assert.Equal(forwards, backwards);
        // A rebuilt space (as a worker reads it from the study's JSON) draws the same.
        var reread = SearchSpace.FromJson(System.Text.Json.Nodes.JsonNode.Parse(space.ToJson().ToJsonString())!);
        Assert.Equal(forwards, Enumerable.Range(0, 50).Select(i => reread.Sample(7, i)));
        Assert.NotEqual(forwards[0], space.Sample(8, 0));
        Assert.Equal(50, forwards.Select(p => p.Real("lr")).Distinct().Count());
    }

    [Fact]
    public void Samples_are_pinned_so_a_change_to_the_generator_shows()
    {
        // Reproducibility across versions: the values a study with seed 1 has always drawn for its first trials.
        var space = new SearchSpace(Dimension.LogUniform("lr", 1e-4, 1), Dimension.Categorical("act", "relu", "tanh"));
        var drawn = Enumerable.Range(0, 3).Select(i => space.Sample(1, i).ToJson()).ToArray();
        Assert.Equal(
            ["{\"lr\":0.00021311131060629872,\"act\":\"tanh\"}", "{\"lr\":0.0003350235578366291,\"act\":\"relu\"}", "{\"lr\":0.7885781252472122,\"act\":\"tanh\"}"],
            drawn);
    }

    [Fact]
    public void Every_value_lies_in_its_range_and_log_dimensions_spread_evenly_over_decades()
    {
        var space = Space();
        var samples = Enumerable.Range(0, 4000).Select(i => space.Sample(3, i)).ToArray();
        Assert.All(samples, p =>
        {
            Assert.InRange(p.Real("lr"), 1e-4, 1);
            Assert.InRange(p.Real("momentum"), 0.5, 0.99);
            Assert.InRange(p.Integer("hidden"), 16, 512);
            Assert.InRange(p.Integer("layers"), 1, 3);
            Assert.Contains(p.Choice("activation"), new[] { "relu", "tanh", "elu" });
        });
        // Four decades, 1000 expected in each; a uniform draw would put 90 % in the top one.
        var perDecade = samples.GroupBy(p => (int)Math.Floor(Math.Log10(p.Real("lr")))).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new[] { -4, -3, -2, -1 }, perDecade.Keys.Order());
        Assert.All(perDecade.Values, n => Assert.InRange(n, 880, 1120));
        // Integers reach both ends; categories are all drawn.
        Assert.Equal(new long[] { 1, 2, 3 }, samples.Select(p => p.Integer("layers")).Distinct().Order());
        Assert.Contains(samples, p => p.Integer("hidden") == 16);
        Assert.Contains(samples, p => p.Integer("hidden") == 512);
        Assert.Equal(3, samples.Select(p => p.Choice("activation")).Distinct().Count());
    }

    [Theory]
    [InlineData("lo ≥ hi", "lr: the low bound 1 is not below the high bound 0.0001")]
    [InlineData("equal", "lr: the low bound 0.5 is not below the high bound 0.5")]
    [InlineData("log of 0", "lr: a log range needs positive bounds; got 0..1")]
    [InlineData("negative log", "lr: a log range needs positive bounds; got -1..1")]
    [InlineData("integer log from 0", "n: a log range needs positive bounds; got 0..10")]
    [InlineData("no choices", "act: a categorical dimension needs at least one choice")]
    [InlineData("twice", "act: the choice \"relu\" is given twice")]
    [InlineData("infinite", "lr: the bounds 0..Infinity must be finite numbers")]
    public void Bad_bounds_are_refused_when_built_with_one_clear_line(string what, string message)
    {
        Action build = what switch
        {
            "lo ≥ hi" => () => Dimension.LogUniform("lr", 1, 1e-4),
            "equal" => () => Dimension.Uniform("lr", 0.5, 0.5),
            "log of 0" => () => Dimension.LogUniform("lr", 0, 1),
            "negative log" => () => Dimension.LogUniform("lr", -1, 1),
            "integer log from 0" => () => Dimension.Integer("n", 0, 10, log: true),
            "no choices" => () => Dimension.Categorical("act"),
            "twice" => () => Dimension.Categorical("act", "relu", "relu"),
            _ => () => Dimension.Uniform("lr", 0, double.PositiveInfinity),
        };
        Assert.Equal(message, Assert.Throws<ArgumentException>(build).Message);
    }

    [Fact]
    public void An_unknown_name_is_named_with_the_names_there_are()
    {
        var space = Space();
        Assert.Equal("unknown hyperparameter \"lrr\" (the space has lr, l2, momentum, hidden, layers, activation)", Assert.Throws<KeyNotFoundException>(() => space["lrr"]).Message);
        var p = space.Sample(1, 0);
        Assert.StartsWith("unknown hyperparameter \"lrr\" (this trial has lr, l2,", Assert.Throws<KeyNotFoundException>(() => p.Real("lrr")).Message);
        Assert.Equal("the search space names \"lr\" twice", Assert.Throws<ArgumentException>(() => new SearchSpace(Dimension.Uniform("lr", 0, 1), Dimension.LogUniform("lr", 1e-3, 1))).Message);
        // A stage whose own space names a dimension the study lacks is refused when the definition is checked.
        var stage = new Stage("fine", 4, 1, new SearchSpace(Dimension.LogUniform("learning_rate", 1e-3, 1e-2)));
        var definition = new StudyDefinition(new SearchSpace(Dimension.LogUniform("lr", 1e-4, 1)), [new Stage("coarse", 4, 1), stage]);
        Assert.StartsWith("unknown hyperparameter \"learning_rate\"", Assert.Throws<KeyNotFoundException>(() => definition.Validate()).Message);
    }

    [Theory]
    [InlineData("1e-4..1:log", "0.0001..1:log")]
    [InlineData("0.5..0.99", "0.5..0.99")]
    [InlineData("16..512:int:log", "16..512:int:log")]
    [InlineData("1..3:int", "1..3:int")]
    [InlineData("relu,tanh", "relu,tanh")]
    public void Ranges_parse_as_the_command_line_writes_them(string text, string printed)
    {
        var d = Dimension.Parse("x", text);
        Assert.Equal(printed, d.ToString());
        Assert.Equal(d, Dimension.Parse("x", d.ToString()));
    }

    [Theory]
    [InlineData("1e-4..1:lg", "x \"1e-4..1:lg\": unknown flag \"lg\" (use :log, :int or :int:log)")]
    [InlineData("a..1", "x \"a..1\": \"a\" is not a number")]
    [InlineData("0.001", "x \"0.001\": expected LO..HI[:log], LO..HI:int[:log] or choices a,b,c")]
    [InlineData("1.5..3:int", "x \"1.5..3:int\": an :int range needs whole-number bounds")]
    public void Malformed_ranges_say_what_is_wrong(string text, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => Dimension.Parse("x", text)).Message);

    [Fact]
    public void Stages_parse_and_the_definition_survives_a_json_round_trip()
    {
        Assert.Equal(new Stage("coarse", 24, 1), Stage.Parse("coarse:24x1"));
        Assert.Equal("stage \"coarse:24\": expected NAME:TRIALSxEPOCHS or NAME:TRIALSxEPOCHS:topN, e.g. coarse:24x1 or fine:12x3:top5", Assert.Throws<FormatException>(() => Stage.Parse("coarse:24")).Message);
        Assert.Equal("stage fine: needs at least one trial; got 0", Assert.Throws<ArgumentException>(() => Stage.Parse("fine:0x3")).Message);
        var definition = new StudyDefinition(Space(), [Stage.Parse("coarse:24x1"), new Stage("fine", 12, 3, new SearchSpace(Space().Dimensions.Select(d => d.Name == "lr" ? d.WithRange(1e-3, 1e-2) : d)))],
            Seed: 42, Pruner: new SuccessiveHalvingPruner(1, 3), Settings: new Dictionary<string, string> { ["batch"] = "64", ["folds"] = "3" });
        string json = definition.ToJson();
        var back = StudyDefinition.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(definition.Space, back.Space);
        Assert.Equal(definition.Stages, back.Stages);
        Assert.Equal(new SuccessiveHalvingPruner(1, 3), back.Pruner);
        Assert.Equal("3", back.Setting("folds"));
        Assert.Equal("the study has no setting \"data\" (it has batch, folds)", Assert.Throws<KeyNotFoundException>(() => back.Setting("data")).Message);
    }

    [Fact]
    public void Parameters_round_trip_exactly_and_print_as_a_command_line()
    {
        var p = ParameterSet.Of(("lr", 0.1 + 0.2), ("hidden", 128), ("activation", "tanh"));
        var back = ParameterSet.FromJson(p.ToJson());
        Assert.Equal(p, back);
        Assert.Equal(0.1 + 0.2, back.Real("lr"));
        Assert.Equal(128, back.Integer("hidden"));
        Assert.Equal("--lr 0.30000000000000004 --hidden 128 --activation tanh", back.ToCommandLine());
        Assert.Equal("hyperparameter \"activation\" is tanh, not a number", Assert.Throws<InvalidCastException>(() => back.Real("activation")).Message);
    }
}
