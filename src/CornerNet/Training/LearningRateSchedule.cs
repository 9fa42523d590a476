namespace CornerNet.Training;

/// <summary>
/// Step decay: the base rate, multiplied by <see cref="Factor"/> at each iteration in <see cref="Steps"/>
/// (the official CornerNet trains 500k iterations at 2.5e-4 and divides by 10 at 450k).
/// </summary>
internal sealed record LearningRateSchedule(double BaseRate, IReadOnlyList<int> Steps, double Factor = 0.1)
{
    /// <summary>The rate for (1-based) iteration <paramref name="iteration"/>.</summary>
    public double RateAt(int iteration)
    {
        double rate = BaseRate;
        foreach (int step in Steps)
            if (iteration > step) rate *= Factor;
        return rate;
    }
}
