using Pipeline.Graph.Ops.Resize;

namespace Pipeline.Graph.Onnx;

// Resize, and the deprecated Upsample (opsets 7-9).
internal static partial class OnnxOperatorTable
{
    static partial void RegisterResize(Dictionary<string, OnnxOperatorFactory> table)
    {
        table["Resize"] = Resize;
        table["Upsample"] = Upsample;
    }

    // Opset 10: inputs (X, scales), modes nearest/linear with asymmetric coordinates and floor rounding (Upsample's
    // semantics). 11: inputs (X, roi, scales, sizes) and the coordinate transforms; 13 drops tf_half_pixel_for_nn;
    // 18 adds antialias, axes and keep_aspect_ratio_policy; 19 adds half_pixel_symmetric.
    private static Operator Resize(OnnxNode node)
    {
        ResizeMode mode = ResizeModeOf(node);
        if (node.Opset < 11)
            return new ResizeOperator(Legacy(mode, scalesInput: 1));
        string transformName = node.GetString("coordinate_transformation_mode", "half_pixel");
        CoordinateTransform transform = transformName switch
        {
            "half_pixel" => CoordinateTransform.HalfPixel,
            "half_pixel_symmetric" when node.Opset >= 19 => CoordinateTransform.HalfPixelSymmetric,
            "pytorch_half_pixel" => CoordinateTransform.PytorchHalfPixel,
            "align_corners" => CoordinateTransform.AlignCorners,
            "asymmetric" => CoordinateTransform.Asymmetric,
            "tf_half_pixel_for_nn" when node.Opset < 13 => CoordinateTransform.TfHalfPixelForNearest,
            "tf_crop_and_resize" => CoordinateTransform.TfCropAndResize,
            _ => throw node.Fail($"unknown coordinate_transformation_mode '{transformName}'"),
        };
        string roundingName = node.GetString("nearest_mode", "round_prefer_floor");
        NearestRounding rounding = roundingName switch
        {
            "round_prefer_floor" => NearestRounding.RoundPreferFloor,
            "round_prefer_ceil" => NearestRounding.RoundPreferCeil,
            "floor" => NearestRounding.Floor,
            "ceil" => NearestRounding.Ceil,
            _ => throw node.Fail($"unknown nearest_mode '{roundingName}'"),
        };
        string policyName = node.Opset >= 18 ? node.GetString("keep_aspect_ratio_policy", "stretch") : "stretch";
        AspectRatioPolicy policy = policyName switch
        {
            "stretch" => AspectRatioPolicy.Stretch,
            "not_larger" => AspectRatioPolicy.NotLarger,
            "not_smaller" => AspectRatioPolicy.NotSmaller,
            _ => throw node.Fail($"unknown keep_aspect_ratio_policy '{policyName}'"),
        };
        bool antialias = node.Opset >= 18 && node.GetInt("antialias", 0) != 0;
        if (antialias && mode == ResizeMode.Nearest) throw node.Fail("antialias applies to linear and cubic modes only");
        return new ResizeOperator(new ResizeOptions(mode, transform, rounding, node.GetFloat("cubic_coeff_a", -0.75f),
            node.GetInt("exclude_outside", 0) != 0, node.GetFloat("extrapolation_value", 0f), antialias,
            node.Opset >= 18 ? node.GetInts("axes") : null, policy, ScalesInput: 2, SizesInput: 3, RoiInput: 1));
    }

    // Upsample-7 carries the scales as an attribute, which the importer cannot turn into an input; 9 takes input 1.
    private static Operator Upsample(OnnxNode node)
    {
        ResizeMode mode = ResizeModeOf(node);
        if (mode == ResizeMode.Cubic) throw node.Fail("Upsample supports nearest and linear modes only");
        if (node.Opset < 9)
        {
            float[] scales = node.GetFloats("scales") ?? throw node.Fail("required attribute 'scales' is missing");
            return new ResizeOperator(Legacy(mode, scalesInput: -1) with { FixedScales = scales });
        }
        return new ResizeOperator(Legacy(mode, scalesInput: 1));
    }

    private static ResizeMode ResizeModeOf(OnnxNode node)
    {
        string name = node.GetString("mode", "nearest");
        return name switch
        {
            "nearest" => ResizeMode.Nearest,
            "linear" or "bilinear" => ResizeMode.Linear,
            "cubic" when node.Opset >= 11 => ResizeMode.Cubic,
            _ => throw node.Fail($"unknown mode '{name}'"),
        };
    }

    private static ResizeOptions Legacy(ResizeMode mode, int scalesInput)
        => new(mode, CoordinateTransform.Asymmetric, NearestRounding.Floor, -0.75f, false, 0f, false, null,
            AspectRatioPolicy.Stretch, scalesInput, SizesInput: -1, RoiInput: -1);
}
