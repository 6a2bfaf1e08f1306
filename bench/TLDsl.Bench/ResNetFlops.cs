using System;

namespace TLDsl.Bench;

/// <summary>Floating-point operations of a BasicBlock ResNet forward, counted from the layer shapes: 2 per
/// multiply-accumulate of every convolution and of the classifier (BatchNorm, ReLU, pooling and additions, under 1%,
/// are left out, as in the usual figures).</summary>
internal static class ResNetFlops
{
    public static double PerImage(int[] blocks, int size, int classes)
    {
        double macs = 0;
        int h = Out(size, 7, 2, 3);
        macs += Conv(3, 64, 7, h);
        h = Out(h, 3, 2, 1);
        int inplanes = 64;
        for (int stage = 0; stage < blocks.Length; stage++)
        {
            int planes = 64 << stage;
            for (int block = 0; block < blocks[stage]; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                int o = Out(h, 3, stride, 1);
                macs += Conv(inplanes, planes, 3, o) + Conv(planes, planes, 3, o);
                if (stride != 1 || inplanes != planes)
                {
                    macs += Conv(inplanes, planes, 1, Out(h, 1, stride, 0));
                }
                inplanes = planes;
                h = o;
            }
        }
        macs += (double)inplanes * classes;
        return 2 * macs;
    }

    private static int Out(int size, int kernel, int stride, int padding) => ((size + (2 * padding) - kernel) / stride) + 1;

    private static double Conv(int cin, int cout, int kernel, int outSize) => (double)cin * cout * kernel * kernel * outSize * outSize;
}
