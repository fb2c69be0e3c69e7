using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Pipeline.Persistence;

/// <summary>Source-generated JSON metadata, so persistence needs no reflection (trim- and AOT-safe).</summary>
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class PersistenceJsonContext : JsonSerializerContext;
