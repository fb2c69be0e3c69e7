namespace Pipeline.Imaging.Jpeg;

/// <summary>
/// Turns component strips into RGB rows of the output image. The inverse DCT writes each MCU row ("strip") of every
/// component into a ring of three strips; as soon as all the sample rows an output row needs are present (fancy
/// upsampling needs the row above and below), the row is upsampled and color converted into the image. Edges
/// replicate the first and last real sample row and column, as libjpeg's context rows do.
/// </summary>
internal sealed unsafe class JpegRowAssembler
{
    private readonly JpegComponent[] _components;
    private readonly JpegColorSpace _colorSpace;
    private readonly int _width, _height;
    private readonly byte* _pixels;
    private int _nextRow;

    public JpegRowAssembler(JpegComponent[] components, JpegColorSpace colorSpace, int width, int height, byte* pixels)
    {
        _components = components;
        _colorSpace = colorSpace;
        _width = width;
        _height = height;
        _pixels = pixels;
    }

    /// <summary>Emits every output row whose samples are complete once <paramref name="strips"/> strips are decoded.</summary>
    public void StripsReady(int strips)
    {
        while (_nextRow < _height && Ready(_nextRow, strips)) EmitRow(_nextRow++);
    }

    /// <summary>All strips are decoded: emits the remaining rows.</summary>
    public void Finish()
    {
        while (_nextRow < _height) EmitRow(_nextRow++);
    }

    private bool Ready(int y, int strips)
    {
        foreach (JpegComponent c in _components)
        {
            int needed = y / c.VExpand;
            if (c.Upsample is UpsampleMethod.FancyH1V2 or UpsampleMethod.FancyH2V2) needed++;
            if (needed > c.DownsampledHeight - 1) needed = c.DownsampledHeight - 1;
            if (needed >= strips * c.StripRows) return false;
        }
        return true;
    }

    private void EmitRow(int y)
    {
        byte** rows = stackalloc byte*[4];
        for (int i = 0; i < _components.Length; i++)
        {
            JpegComponent c = _components[i];
            int sourceRow = y / c.VExpand;
            byte* near = c.RingRow(sourceRow);
            switch (c.Upsample)
            {
                case UpsampleMethod.None:
                    rows[i] = near;
                    break;
                case UpsampleMethod.FancyH2V1:
                    JpegUpsampler.FancyH2V1(near, c.DownsampledWidth, c.UpsampleBase);
                    rows[i] = c.UpsampleBase;
                    break;
                case UpsampleMethod.FancyH1V2:
                case UpsampleMethod.FancyH2V2:
                {
                    // The upper output row of each pair blends with the sample row above, the lower with the one below.
                    bool upper = (y & 1) == 0;
                    int farRow = upper ? Math.Max(sourceRow - 1, 0) : Math.Min(sourceRow + 1, c.DownsampledHeight - 1);
                    byte* far = c.RingRow(farRow);
                    if (c.Upsample == UpsampleMethod.FancyH1V2) JpegUpsampler.FancyH1V2(near, far, c.DownsampledWidth, upper, c.UpsampleBase);
                    else JpegUpsampler.FancyH2V2(near, far, c.DownsampledWidth, c.UpsampleBase);
                    rows[i] = c.UpsampleBase;
                    break;
                }
                default:
                    if (c.HExpand == 1)
                    {
                        rows[i] = near;
                    }
                    else
                    {
                        JpegUpsampler.Replicate(near, c.HExpand, c.UpsampleBase, _width);
                        rows[i] = c.UpsampleBase;
                    }
                    break;
            }
        }
        JpegColorConverter.ConvertRow(_colorSpace, rows, _pixels + (long)y * _width * 3, _width);
    }
}
