using System.CommandLine;
using System.Globalization;

namespace Trainer.Commands;

/// <summary>
/// Range checks on numeric options that run while the command line is parsed, so a value out of range exits with
/// <see cref="ExitCodes.BadArguments"/> and a message naming the option and the range before any work starts. They read
/// the value as <see cref="ValueParsers"/> does, and a value that does not read is reported here (validators run before
/// the parser, and an error here means the parser does not run): none is passed over in silence.
/// </summary>
internal static class OptionRanges
{
    /// <summary>Adds a check that the option's value lies in [<paramref name="min"/>, <paramref name="max"/>]; <paramref name="note"/> explains a special value, e.g. "0: one per processor".</summary>
    public static Option<int> Within(this Option<int> option, int min, int max, string? note = null)
    {
        string range = $"use {min}{(note is null ? "" : $" ({note})")}{(max == int.MaxValue ? " or more" : $" to {max}")}.";
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0) return;
            string text = result.Tokens[^1].Value;
            if (!ValueParsers.TryParse(text, out int value))
            {
                // An integer too large for an int is out of this range too: say so, with the range.
                result.AddError(ValueParsers.IsInteger(text) ? $"{option.Name} {text} is out of range: {range}" : ValueParsers.NotAnInteger(option.Name, text));
                return;
            }
            if (value < min || value > max)
                result.AddError($"{option.Name} {value} is out of range: {range}");
        });
        return option;
    }

    /// <summary>Adds a check that the option's value lies in [<paramref name="min"/>, <paramref name="maxExclusive"/>) (NaN is outside).</summary>
    public static Option<double> AtLeastAndBelow(this Option<double> option, double min, double maxExclusive)
    {
        option.Validators.Add(result =>
        {
            if (!ValueParsers.TryRead(result, out double value)) return;
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
            if (!ValueParsers.TryRead(result, out double value)) return;
            if (!(double.IsFinite(value) && value >= 0))
                result.AddError($"{option.Name} {result.Tokens[^1].Value} is out of range: use a finite number of 0 or more.");
        });
        return option;
    }
}
