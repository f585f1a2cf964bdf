// The main job's progress line: at every terminal width it is one line that fits, and it keeps the ETA and loss as long as there is room.
using FashionExample;

namespace Functional.Integration.Tests;

public sealed class ProgressLineTests
{
    /// <summary>Awkward moments: the start (nothing to estimate from), mid-epoch, the end, hours left, a NaN loss, long counters.</summary>
    private static readonly ProgressFrame[] Frames =
    [
        new ProgressFrame(1, 10, 0, 860, TimeSpan.Zero, null, 0, double.NaN, 0),
        new ProgressFrame(3, 10, 412, 860, TimeSpan.FromSeconds(3.2), TimeSpan.FromSeconds(3.5), 27_431, 0.51234, 0.8123),
        new ProgressFrame(10, 10, 860, 860, TimeSpan.FromSeconds(7), TimeSpan.Zero, 7_360, 0.3483, 0.8705),
        new ProgressFrame(1, 2, 1, 1_000_000, TimeSpan.FromSeconds(40), TimeSpan.FromHours(11.1), 1.5e6, 12.3456, 1),
        new ProgressFrame(99, 100, 5, 7, TimeSpan.FromDays(3), TimeSpan.FromDays(9), 0.4, double.PositiveInfinity, 0.5),
    ];

    [Fact]
    public void At_every_width_the_line_fits_on_one_row_and_keeps_the_eta_while_there_is_room()
    {
        foreach (var frame in Frames)
        for (int width = 0; width <= 200; width++)
        {
            string line = ProgressLine.Render(frame, width);
            Assert.True(line.Length <= width, $"width {width}: {line.Length} characters: '{line}'");
            Assert.DoesNotContain('\n', line);
            Assert.DoesNotContain('\r', line);
            if (width >= 30) Assert.Contains("eta ", line);
            if (width >= 40) Assert.Contains("loss ", line);
            if (width >= 20) Assert.StartsWith(ProgressLine.Prefix(frame.Epoch, frame.Epochs), line);
        }
    }

    [Fact]
    public void A_wide_terminal_shows_everything_and_a_50_column_one_the_bar_eta_and_loss()
    {
        var frame = new ProgressFrame(3, 10, 412, 860, TimeSpan.FromSeconds(3.2), TimeSpan.FromSeconds(3.5), 27_431, 0.51234, 0.8123);
        Assert.Equal("epoch  3/10  [############..............]  412/860  elapsed 0:03  eta 0:03  27,431 samples/s  loss 0.5123  acc 81.2 %",
            ProgressLine.Render(frame, 117)); // a 120-column terminal, less the columns kept free
        Assert.Equal("epoch  3/10 [####....]  48% eta 0:03 loss 0.512", ProgressLine.Render(frame, 47));
    }

    [Fact]
    public void Parts_only_go_as_the_width_shrinks()
    {
        var frame = new ProgressFrame(3, 10, 412, 860, TimeSpan.FromSeconds(3.2), TimeSpan.FromSeconds(3.5), 27_431, 0.51234, 0.8123);
        string[] labels = ["[", "eta ", "loss ", "acc ", "/s", "elapsed"];
        var shown = labels.ToDictionary(l => l, _ => true);
        for (int width = 200; width >= 0; width--)
        {
            string line = ProgressLine.Render(frame, width);
            foreach (var label in labels)
            {
                bool now = line.Contains(label);
                Assert.False(now && !shown[label], $"'{label}' came back at width {width}: '{line}'");
                shown[label] = now;
            }
        }
    }

    [Theory]
    [InlineData(0, "0:00")]
    [InlineData(7.4, "0:07")]
    [InlineData(754, "12:34")]
    [InlineData(3723, "1:02:03")]
    [InlineData(-1, "0:00")]
    [InlineData(1e9, ">1d")]
    public void Times_read_as_a_clock(double seconds, string expected) => Assert.Equal(expected, ProgressLine.Clock(TimeSpan.FromSeconds(seconds)));
}
