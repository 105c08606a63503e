using HeatmapTools.Engine.Models;
using static TorchSharp.torch;

namespace HeatmapTools.Engine.Cam.Targets;

/// <summary>
/// Cosine similarity between the image's pooled features (what the head takes, averaged over space) and a reference
/// image's, as pytorch-grad-cam's SimilarityToConceptTarget on a feature extractor: which pixels make this image look
/// like that one (retrieval, embeddings, a patch like a known tumour patch).
/// </summary>
public sealed class SimilarityTarget(float[] reference, string referenceName) : CamTarget
{
    public override int ClassIndex => -1;
    public override string Kind => "Similarity";
    public override bool UsesFeatures => true;
    public override string Label(ClassLabels labels) => $"similar to {referenceName}";
    public override string Key => $"{Kind}:{referenceName}:{reference.Length}:{reference.Sum():R}";

    public override Tensor Score(Tensor features)
    {
        using var concept = tensor(reference).unsqueeze(0);
        return nn.functional.cosine_similarity(features, concept.to(features.dtype), 1);
    }

    internal sealed class Maker : TargetKind
    {
        public override string KindName => "Similarity";
        public override bool UsesClasses => false;
        public override IEnumerable<CamTarget> For(TargetContext context, IReadOnlyList<int> classes) =>
            new[] { new SimilarityTarget(context.ReferenceFeatures(), Path.GetFileName(context.ReferenceImage!)) };
    }
}
