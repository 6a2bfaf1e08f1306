namespace TLDsl.Runtime.Reporting;

/// <summary>Makes sure ScottPlot can draw text.</summary>
internal static class FontSetup
{
    public static void Ensure()
    {
    }
}
