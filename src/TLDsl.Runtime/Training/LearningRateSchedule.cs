using System;

namespace TLDsl.Runtime.Training;

/// <summary>Schedules as pure functions of the step, so resume needs no scheduler state.</summary>
public static class LearningRateSchedule
{
    /// <summary>The factor applied to each parameter's base rate at optimizer step <paramref name="step"/>
    /// (0-based) of a phase with <paramref name="totalSteps"/> steps and <paramref name="stepsPerEpoch"/> per epoch.</summary>
    public static double Factor(SchedulePlan schedule, long step, long totalSteps, long stepsPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        totalSteps = Math.Max(1, totalSteps);
        stepsPerEpoch = Math.Max(1, stepsPerEpoch);
        switch (schedule)
        {
            case StepSchedule s:
                return Math.Pow(s.Gamma, Math.Floor((double)step / (stepsPerEpoch * Math.Max(1, s.StepEpochs))));
            case CosineSchedule c:
                double warmup = (c.WarmupEpochs * stepsPerEpoch) + c.WarmupSteps;
                if (step < warmup)
                {
                    return (step + 1) / warmup;
                }
                double t = (step - warmup) / Math.Max(1, totalSteps - warmup);
                return c.MinFactor + ((1 - c.MinFactor) * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, t))));
            case OneCycleSchedule o:
                double peak = Math.Max(1, o.PctStart * totalSteps);
                double start = 1 / o.DivFactor;
                double end = start / o.FinalDivFactor;
                return step < peak
                    ? Anneal(start, 1, step / peak)
                    : Anneal(1, end, (step - peak) / Math.Max(1, totalSteps - peak));
            default:
                return 1;
        }
    }

    private static double Anneal(double from, double to, double t) =>
        to + ((from - to) * 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(t, 0, 1))));
}
