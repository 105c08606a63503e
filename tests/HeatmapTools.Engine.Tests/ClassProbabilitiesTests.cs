using System.Globalization;
using HeatmapTools.Engine.Patches;
using HeatmapTools.Engine.Prediction;
using Xunit;

namespace HeatmapTools.Engine.Tests;

/// <summary>Every class's probability, as a prediction carries it and as its CSV row gives it back.</summary>
public class ClassProbabilitiesTests
{
    [Fact]
    public void Softmax_is_the_closed_form_and_its_text_reads_back_to_the_same_doubles()
    {
        var logits = new[] { 1.25f, -3.5f, 0.1f };
        var p = ClassProbabilities.FromLogits(logits, new[] { "a", "b", "a" });
        // exp(l_i) / sum exp(l_j), written out.
        double sum = Math.Exp(1.25) + Math.Exp(-3.5) + Math.Exp(0.1f);
        Assert.Equal(Math.Exp(1.25) / sum, p.Values[0], 15);
        Assert.Equal(Math.Exp(-3.5) / sum, p.Values[1], 15);
        var back = ClassProbabilities.Parse(p.ToText()!, "row");
        Assert.Equal(p.Values, back.Values);
        Assert.Equal(new[] { "a", "b", "a" }, back.Labels);
        // A duplicate label is resolved to its first class; the index says any.
        Assert.Equal(0, back.PositiveIndex(PositiveClass.Parse("A"), "row"));
        Assert.Equal(2, back.PositiveIndex(PositiveClass.Parse("2"), "row"));
    }

    [Fact]
    public void Only_a_two_class_head_has_a_default_positive_class_and_a_big_head_writes_no_text()
    {
        Assert.Equal(1, ClassProbabilities.FromLogits(new[] { 0f, 1f }, new[] { "n", "p" }).PositiveIndex(PositiveClass.Unspecified, "x"));
        var three = ClassProbabilities.FromLogits(new[] { 0f, 1f, 2f }, new[] { "a", "b", "c" });
        Assert.Equal(ErrorIds.PositiveClassRequired, Assert.Throws<HeatmapToolsException>(() => three.PositiveIndex(PositiveClass.Unspecified, "x")).ErrorId);
        Assert.Equal(ErrorIds.PositiveClassRequired, Assert.Throws<HeatmapToolsException>(() => three.PositiveIndex(PositiveClass.Parse("3"), "x")).ErrorId);
        Assert.Equal(ErrorIds.PositiveClassRequired, Assert.Throws<HeatmapToolsException>(() => three.PositiveIndex(PositiveClass.Parse("d"), "x")).ErrorId);
        var big = ClassProbabilities.FromLogits(new float[ClassProbabilities.MaxClassesWritten + 1], Enumerable.Range(0, 33).Select(i => $"c{i}").ToArray());
        Assert.Null(big.ToText());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"a\": 1.5}")]
    [InlineData("{\"a\": \"high\"}")]
    [InlineData("[0.2, 0.8]")]
    public void Unreadable_text_is_a_row_problem(string text)
    {
        var error = Assert.Throws<HeatmapToolsException>(() => ClassProbabilities.Parse(text, "p.csv line 3"));
        Assert.Equal(ErrorIds.CsvRowInvalid, error.ErrorId);
        Assert.Contains("p.csv line 3", error.Message);
    }

    [Fact]
    public void A_table_of_predictions_is_told_from_a_patch_table_by_its_columns()
    {
        string dir = Directory.CreateTempSubdirectory("hmt-ptable").FullName;
        try
        {
            string csv = Path.Combine(dir, "p.csv");
            File.WriteAllText(csv, "Path,Probability,ClassProbabilities\nsub/10_idx5_x1_y1_class0.png,0.9,\"{\"\"n\"\":0.9,\"\"p\"\":0.1}\"\n,0.5,x\n");
            var table = PatchTableReader.Read(csv, new PatchColumns(), null, CultureInfo.InvariantCulture);
            Assert.Empty(table.Records);
            var row = Assert.Single(table.Predictions);
            Assert.Equal(Path.Combine(dir, "sub", "10_idx5_x1_y1_class0.png"), row.Path);
            Assert.Equal(0.1, ClassProbabilities.Parse(row.Probabilities, row.Source).Positive(PositiveClass.Unspecified, row.Source));
            Assert.Equal("p.csv line 3", Assert.Single(table.Problems).Source);
            // With a patient column it is a patch table, whatever else it has.
            File.WriteAllText(csv, "patient_id,x,y,ClassProbabilities,path\n10,1,1,{},a.png\n");
            Assert.Single(PatchTableReader.Read(csv, new PatchColumns(), null, CultureInfo.InvariantCulture).Records);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
