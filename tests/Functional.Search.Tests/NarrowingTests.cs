// Coarse → fine: the next stage's ranges narrow around the best trials (in log space for log dimensions), widened a bit and clamped, and the best at an edge is warned about.
using Functional.Search;

namespace Functional.Search.Tests;

public sealed class NarrowingTests
{
    private static readonly SearchSpace Space = new(
        Dimension.LogUniform("lr", 1e-4, 1), Dimension.Uniform("momentum", 0, 1), Dimension.Integer("hidden", 16, 512), Dimension.Categorical("act", "relu", "tanh", "elu"));

    private static (ParameterSet, double) Trial(double lr, double momentum, long hidden, string act, double score) =>
        (ParameterSet.Of(("lr", lr), ("momentum", momentum), ("hidden", hidden), ("act", act)), score);

    [Fact]
    public void The_range_becomes_the_span_of_the_top_trials_in_log_space_widened_by_a_quarter_each_side()
    {
        (ParameterSet, double)[] trials =
        [
            Trial(1e-3, 0.5, 100, "relu", 0.80), Trial(1e-2, 0.7, 200, "tanh", 0.85), Trial(1e-1, 0.6, 150, "relu", 0.83),
            Trial(1e-4, 0.1, 20, "elu", 0.10), Trial(0.9, 0.95, 500, "elu", 0.12), Trial(2e-4, 0.2, 30, "elu", 0.11),
        ];
        // Top 3: lr 1e-3, 1e-2, 1e-1 → log10 span [-3, -1], widened by 0.5 decades each side.
        var narrowed = new Narrowing(Top: 3, Widen: 0.25).Apply(Space, trials);
        Assert.Equal(Math.Pow(10, -3.5), narrowed["lr"].Low, 12);
        Assert.Equal(Math.Pow(10, -0.5), narrowed["lr"].High, 12);
        Assert.True(narrowed["lr"].Log);
        // Linear: momentum span [0.5, 0.7] widened by 0.05 each side.
        Assert.Equal(0.45, narrowed["momentum"].Low, 12);
        Assert.Equal(0.75, narrowed["momentum"].High, 12);
        // Integer: [100, 200] widened by 25 each side.
        Assert.Equal(75, narrowed["hidden"].Low);
        Assert.Equal(225, narrowed["hidden"].High);
        // Categorical: the choices the best made, in the declared order.
        Assert.Equal(new[] { "relu", "tanh" }, narrowed["act"].Choices);
    }

    [Fact]
    public void The_narrowed_range_is_clamped_to_the_old_one_and_never_collapses()
    {
        (ParameterSet, double)[] trials = [Trial(0.9, 0.3, 500, "relu", 0.9), Trial(1.0, 0.3, 512, "relu", 0.8), Trial(0.8, 0.3, 510, "relu", 0.7), Trial(1e-4, 0.9, 16, "tanh", 0.1)];
        var narrowed = new Narrowing(Top: 3).Apply(Space, trials);
        Assert.Equal(1, narrowed["lr"].High);
        Assert.True(narrowed["lr"].Low < 0.8);
        // All three at momentum 0.3: a tenth of the old width around it, not a point.
        Assert.Equal(0.25, narrowed["momentum"].Low, 12);
        Assert.Equal(0.35, narrowed["momentum"].High, 12);
        Assert.Equal(512, narrowed["hidden"].High);
        Assert.Equal(new[] { "relu" }, narrowed["act"].Choices);
    }

    [Fact]
    public void The_count_is_the_top_five_by_default_and_a_stage_or_the_study_can_set_it()
    {
        // Scores fall with the index; lr climbs a decade every two trials, so each top N has its own span.
        (ParameterSet, double)[] trials = [.. Enumerable.Range(0, 12).Select(i => Trial(1e-4 * Math.Pow(10, i / 2.0), 0.5, 100, "relu", 1.0 - i / 100.0))];
        // Top 5: lr 1e-4..1e-2 → log10 [-4, -2], widened by half a decade each side, clamped below at 1e-4.
        var five = new Narrowing().Apply(Space, trials);
        Assert.Equal(1e-4, five["lr"].Low, 12);
        Assert.Equal(Math.Pow(10, -1.5), five["lr"].High, 12);
        // Top 3: log10 [-4, -3] widened by a quarter decade: up to 10^-2.75.
        Assert.Equal(Math.Pow(10, -2.75), new Narrowing().Apply(Space, trials, top: 3)["lr"].High, 12);
        Assert.Equal(Math.Pow(10, -2.75), new Narrowing(Top: 3).Apply(Space, trials)["lr"].High, 12);
        // More than there are: all of them (log10 [-4, 1.5], clamped to the old range).
        Assert.Equal(1, new Narrowing().Apply(Space, trials, top: 50)["lr"].High, 12);
        Assert.Equal("narrowing: Top must be at least 1 trial; got 0", Assert.Throws<ArgumentException>(() => new Narrowing(Top: 0)).Message);
    }

    [Fact]
    public void A_stage_narrows_around_its_own_top_count_in_a_study()
    {
        // Score = −|log10 lr + 2|: the best coarse trials sit around 1e-2, and top 1 narrows to a tenth of the old width.
        var space = new SearchSpace(Dimension.LogUniform("lr", 1e-4, 1));
        TrialResult Score(TrialContext c) => TrialResult.Scored(-Math.Abs(Math.Log10(c.Parameters.Real("lr")) + 2));
        SearchSpace FineSpace(Stage fine, Narrowing? narrowing = null)
        {
            using var storage = new Functional.Search.Storage.InMemoryStudyStorage();
            var report = Study.Run(storage, "s", new StudyDefinition(space, [new Stage("coarse", 20, 1), fine], Narrowing: narrowing), Score, new StudyOptions { Workers = 1 });
            return report.Stages[1].Space;
        }
        var coarse = Enumerable.Range(0, 20).Select(i => space.Sample(1, i)).Select(p => (p, -Math.Abs(Math.Log10(p.Real("lr")) + 2))).ToList();
        Assert.Equal(new Narrowing().Apply(space, coarse, top: 1), FineSpace(new Stage("fine", 2, 1, Top: 1)));
        Assert.Equal(new Narrowing().Apply(space, coarse, top: 5), FineSpace(new Stage("fine", 2, 1)));
        Assert.Equal(new Narrowing().Apply(space, coarse, top: 8), FineSpace(new Stage("fine", 2, 1), new Narrowing(Top: 8)));
        // The three differ, so the count was really used.
        Assert.Equal(3, new[] { 1, 5, 8 }.Select(k => new Narrowing().Apply(space, coarse, top: k)["lr"].ToString()).Distinct().Count());
        Assert.Equal(0.4, Math.Log10(FineSpace(new Stage("fine", 2, 1, Top: 1))["lr"].High) - Math.Log10(FineSpace(new Stage("fine", 2, 1, Top: 1))["lr"].Low), 9);
    }

    [Theory]
    [InlineData("fine:12x3:top5", 5)]
    [InlineData("fine:12x3:TOP12", 12)]
    [InlineData("fine:12x3", null)]
    public void The_stage_syntax_takes_an_optional_top_count_and_prints_it_back(string text, int? top)
    {
        var stage = Stage.Parse(text);
        Assert.Equal(new Stage("fine", 12, 3, Top: top), stage);
        Assert.Equal(stage, Stage.Parse(stage.ToString()));
    }

    [Theory]
    [InlineData("fine:12x3:5")]
    [InlineData("fine:12x3:top")]
    [InlineData("fine:12x3:top5:x")]
    public void A_malformed_top_count_is_refused_naming_the_syntax(string text) =>
        Assert.Equal($"stage \"{text}\": expected NAME:TRIALSxEPOCHS or NAME:TRIALSxEPOCHS:topN, e.g. coarse:24x1 or fine:12x3:top5",
            Assert.Throws<FormatException>(() => Stage.Parse(text)).Message);

    [Fact]
    public void A_top_count_of_zero_is_refused() =>
        Assert.Equal("stage fine: narrows around at least the top 1 trial; got top 0", Assert.Throws<ArgumentException>(() => Stage.Parse("fine:12x3:top0")).Message);

    [Fact]
    public void Narrowing_with_no_scored_trial_says_why()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new Narrowing().Apply(Space, []));
        Assert.Equal("no trial of the last stage has a score, so there is nothing to narrow around; look at why they failed", e.Message);
    }

    [Fact]
    public void A_best_value_at_the_edge_of_its_range_is_warned_about()
    {
        var best = ParameterSet.Of(("lr", 0.9), ("momentum", 0.5), ("hidden", 16), ("act", "relu"));
        var warnings = EdgeWarning.For(Space, best);
        Assert.Equal(
            ["lr: the best value 0.9 sits at the upper edge of 0.0001..1:log; widen the range upwards", "hidden: the best value 16 sits at the lower edge of 16..512:int; widen the range downwards"],
            warnings.Select(w => w.ToString()));
        Assert.Empty(EdgeWarning.For(Space, ParameterSet.Of(("lr", 0.01), ("momentum", 0.5), ("hidden", 200), ("act", "relu"))));
    }
}
