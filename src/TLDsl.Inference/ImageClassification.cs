using System.Collections.Generic;

namespace TLDsl.Inference;

/// <summary>A label and its probability.</summary>
/// <typeparam name="TLabel">The label type: <see cref="string"/>, or a label enum.</typeparam>
/// <param name="Label">The class.</param>
/// <param name="Probability">Its softmax probability.</param>
public sealed record ClassProbability<TLabel>(TLabel Label, float Probability);

/// <summary>The model's answer for one image.</summary>
/// <typeparam name="TLabel">The label type: <see cref="string"/>, or a label enum.</typeparam>
/// <param name="Image">The image's name (its path when read from a file).</param>
/// <param name="Label">The most probable class.</param>
/// <param name="Probability">Its probability.</param>
/// <param name="Top">The most probable classes, best first (ties in output order).</param>
public sealed record ImageClassification<TLabel>(string Image, TLabel Label, float Probability, IReadOnlyList<ClassProbability<TLabel>> Top);
