using System.Text.Json.Serialization;

namespace Pipeline.Training;

/// <summary>How the MLP's learning rate changes over training (after the optional linear warm-up).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LearningRateSchedule>))]
public enum LearningRateSchedule
{
    /// <summary>The base rate throughout.</summary>
    [JsonStringEnumMemberName("constant")] Constant,

    /// <summary>Half a cosine from the base rate down to the minimum rate at the last step (Loshchilov and Hutter's SGDR without restarts).</summary>
    [JsonStringEnumMemberName("cosine")] Cosine,

    /// <summary>The base rate times <c>gamma^⌊epoch / stepEpochs⌋</c>.</summary>
    [JsonStringEnumMemberName("step")] Step,
}
