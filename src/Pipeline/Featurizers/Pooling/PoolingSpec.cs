using System.Globalization;
using System.Text;

namespace Pipeline.Featurizers.Pooling;

/// <summary>How a feature map is reduced to a vector.</summary>
public enum PoolingMethod
{
    /// <summary>Global average pooling: the mean of each channel (C values).</summary>
    Gap,

    /// <summary>Global max pooling: the maximum of each channel (C values).</summary>
    Gmp,

    /// <summary>Generalized mean (Radenović et al.): <c>(mean max(x, 1e-6)^p)^(1/p)</c> per channel (C values).</summary>
    Gem,

    /// <summary>Spatial pyramid pooling (He et al.): each level n splits the map into n × n cells, each pooled per channel.</summary>
    Spp,

    /// <summary>GAP and GMP concatenated (2C values: the means first).</summary>
    Concat,
}

/// <summary>
/// A pooling as the CLI's <c>--pooling</c> spells it:
/// <c>gap | gmp | gem[:p] | spp[:levels][:max|avg] | concat</c>, e.g. <c>gem</c>, <c>gem:3</c>, <c>spp:1,2,4:avg</c>.
/// <see cref="ToString"/> gives the canonical string (every parameter spelled out), which the featurizer spec stores.
/// </summary>
public sealed record PoolingSpec
{
    /// <summary>GeM's default power.</summary>
    public const float DefaultPower = 3f;

    /// <summary>The largest GeM power accepted.</summary>
    public const float MaxPower = 16f;

    /// <summary>The largest SPP level accepted (a level of n has n² cells).</summary>
    public const int MaxLevel = 16;

    private readonly int[] _levels = [1, 2, 4];

    /// <summary>The method.</summary>
    public PoolingMethod Method { get; init; } = PoolingMethod.Gap;

    /// <summary>GeM's power p (default 3; 1 is GAP, large values approach GMP).</summary>
    public float Power { get; init; } = DefaultPower;

    /// <summary>SPP's levels (default 1, 2, 4: 1 + 4 + 16 = 21 cells per channel).</summary>
    public IReadOnlyList<int> Levels { get => _levels; init => _levels = [.. value]; }

    /// <summary>SPP: max (default, as He et al.) or average pooling inside each cell.</summary>
    public bool SppAverage { get; init; }

    /// <summary>Global average pooling.</summary>
    public static PoolingSpec Gap { get; } = new();

    /// <summary>The number of values the pooling gives for a map of <paramref name="channels"/> channels.</summary>
    public int Dimension(int channels) => checked(Method switch
    {
        PoolingMethod.Spp => channels * CellCount,
        PoolingMethod.Concat => 2 * channels,
        _ => channels,
    });

    /// <summary>SPP's cells per channel (Σ n²); 1 for the global poolings.</summary>
    public int CellCount
    {
        get
        {
            if (Method != PoolingMethod.Spp) return 1;
            int cells = 0;
            foreach (int n in _levels) cells += n * n;
            return cells;
        }
    }

    /// <summary>Parses a pooling string (case-insensitive).</summary>
    /// <exception cref="FormatException">The string is not a pooling; the message names the bad part and lists the forms.</exception>
    public static PoolingSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().ToLowerInvariant().Split(':');
        PoolingSpec spec;
        switch (parts[0])
        {
            case "gap" when parts.Length == 1:
                return new PoolingSpec { Method = PoolingMethod.Gap };
            case "gmp" when parts.Length == 1:
                return new PoolingSpec { Method = PoolingMethod.Gmp };
            case "concat" when parts.Length == 1:
                return new PoolingSpec { Method = PoolingMethod.Concat };
            case "gem" when parts.Length <= 2:
                float p = DefaultPower;
                if (parts.Length == 2 && !float.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out p))
                    throw Bad(text, $"'{parts[1]}' is not a number");
                spec = new PoolingSpec { Method = PoolingMethod.Gem, Power = p };
                break;
            case "spp" when parts.Length <= 3:
                spec = new PoolingSpec { Method = PoolingMethod.Spp };
                for (int i = 1; i < parts.Length; i++)
                {
                    if (parts[i] is "max" or "avg")
                    {
                        if (i != parts.Length - 1) throw Bad(text, "max|avg comes last");
                        spec = spec with { SppAverage = parts[i] == "avg" };
                    }
                    else if (i == 1)
                    {
                        spec = spec with { Levels = ParseLevels(text, parts[i]) };
                    }
                    else
                    {
                        throw Bad(text, $"'{parts[i]}' is neither max nor avg");
                    }
                }
                break;
            default:
                throw Bad(text, "unknown method or too many ':' parts");
        }
        string? problem = spec.Problem();
        if (problem is not null) throw Bad(text, problem);
        return spec;
    }

    /// <summary>Checks the parameters; called by the featurizers that use the spec.</summary>
    /// <exception cref="ArgumentException">A parameter is out of range.</exception>
    public void Validate()
    {
        if (Problem() is { } problem) throw new ArgumentException($"Pooling '{this}': {problem}.");
    }

    /// <summary>The canonical string: <c>gap</c>, <c>gmp</c>, <c>concat</c>, <c>gem:3</c>, <c>spp:1,2,4:max</c>.</summary>
    public override string ToString() => Method switch
    {
        PoolingMethod.Gap => "gap",
        PoolingMethod.Gmp => "gmp",
        PoolingMethod.Concat => "concat",
        PoolingMethod.Gem => "gem:" + Power.ToString("R", CultureInfo.InvariantCulture),
        PoolingMethod.Spp => "spp:" + string.Join(",", _levels) + (SppAverage ? ":avg" : ":max"),
        _ => Method.ToString(),
    };

    /// <summary>Equality by value, including the levels.</summary>
    public bool Equals(PoolingSpec? other) => other is not null && ToString() == other.ToString();

    /// <summary>A hash consistent with <see cref="Equals(PoolingSpec?)"/>.</summary>
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(ToString());
        return true;
    }

    private string? Problem()
    {
        if (!Enum.IsDefined(Method)) return $"method {(int)Method} is unknown";
        if (Method == PoolingMethod.Gem && !(Power > 0 && Power <= MaxPower)) return $"GeM's power must be in (0, {MaxPower}], not {Power}";
        if (Method == PoolingMethod.Spp)
        {
            if (_levels.Length is 0 or > 8) return "SPP needs 1 to 8 levels";
            foreach (int n in _levels)
                if (n is < 1 or > MaxLevel) return $"SPP levels must be 1 to {MaxLevel}, not {n}";
        }
        return null;
    }

    private static int[] ParseLevels(string text, string part)
    {
        string[] items = part.Split(',');
        var levels = new int[items.Length];
        for (int i = 0; i < items.Length; i++)
            if (!int.TryParse(items[i], NumberStyles.None, CultureInfo.InvariantCulture, out levels[i]))
                throw Bad(text, $"level '{items[i]}' is not a positive integer");
        return levels;
    }

    private static FormatException Bad(string text, string reason)
        => new($"'{text}' is not a pooling ({reason}); expected gap | gmp | gem[:p] | spp[:levels][:max|avg] | concat, e.g. gem:3 or spp:1,2,4:max.");
}
