using System.CommandLine;
using System.Globalization;

namespace Trainer.Commands;

/// <summary>
/// Range checks on numeric options that run while the command line is parsed, so a value out of range exits with
/// <see cref="ExitCodes.BadArguments"/> and a message naming the option and the range before any work starts.
/// </summary>
internal static class OptionRanges
{
    /// <summary>Adds a check that the option's value lies in [<paramref name="min"/>, <paramref name="max"/>]; <paramref name="note"/> explains a special value, e.g. "0: one per processor".</summary>
    public static Option<int> Within(this Option<int> option, int min, int max, string? note = null)
    {
        option.Validators.Add(result =>
        {
            // A token that is not an integer already has its own parse error; converting it here would throw.
            if (result.Tokens.Count == 0 || !int.TryParse(result.Tokens[^1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)) return;
            if (value < min || value > max)
                result.AddError($"{option.Name} {value} is out of range: use {min}{(note is null ? "" : $" ({note})")}{(max == int.MaxValue ? " or more" : $" to {max}")}.");
        });
        return option;
    }

    /// <summary>Adds a check that the option's value lies in [<paramref name="min"/>, <paramref name="maxExclusive"/>) (NaN is outside).</summary>
    public static Option<double> AtLeastAndBelow(this Option<double> option, double min, double maxExclusive)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 || !double.TryParse(result.Tokens[^1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) return;
            if (!(value >= min && value < maxExclusive))
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} {result.Tokens[^1].Value} is out of range: use {min} up to but not including {maxExclusive}."));
        });
        return option;
    }

    /// <summary>Adds a check that the option's value is a finite number of at least 0 (a tolerance of NaN or infinity compares nothing).</summary>
    public static Option<double> FiniteNonNegative(this Option<double> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 || !double.TryParse(result.Tokens[^1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) return;
            if (!(double.IsFinite(value) && value >= 0))
                result.AddError($"{option.Name} {result.Tokens[^1].Value} is out of range: use a finite number of 0 or more.");
        });
        return option;
    }
}
