namespace CornerNet.Training;

/// <summary>
/// Trains for a wall-clock budget instead of a fixed iteration count, with the learning rate multiplied by
/// <see cref="TrainOptions.LearningRateFactor"/> for the last part of the budget. How many iterations fit depends on
/// the machine, so the drop cannot be given as an iteration: the run is stopped when the first part of the budget is
/// spent and resumed from its checkpoint with a learning-rate step at the iteration reached (resuming is exact, so this
/// equals one run with that step). At the end the run is finished at the iteration reached: the model file and the
/// loss curve are written as by a run that reached its <see cref="TrainOptions.Iterations"/>.
/// </summary>
internal sealed class TimeBudgetTraining
{
    readonly Func<TrainOptions, Trainer> _createTrainer;
    readonly TrainOptions _options;
    readonly TimeProvider _time;

    /// <summary>
    /// <paramref name="createTrainer"/> builds a trainer for the given options on the same data and run folder (the
    /// caller sets its callbacks); <paramref name="options"/>' <see cref="TrainOptions.Iterations"/> is the upper limit
    /// and its <see cref="TrainOptions.LearningRateSteps"/> must be empty (the step comes from the budget).
    /// <paramref name="time"/> is the clock (default: the system's; tests pass a fake one).
    /// </summary>
    public TimeBudgetTraining(TrainOptions options, Func<TrainOptions, Trainer> createTrainer, TimeProvider? time = null)
    {
        if (options.LearningRateSteps.Length > 0)
            throw new ArgumentException("a time-budget run sets its own learning-rate step; give no LearningRateSteps", nameof(options));
        _options = options;
        _createTrainer = createTrainer;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Trains for <paramref name="budget"/> (or until <paramref name="cancel"/> fires or the iteration limit is
    /// reached), dropping the learning rate after <paramref name="dropFraction"/> of the budget; returns the iterations
    /// done and the iteration after which the rate dropped (null if the run ended before the drop).
    /// </summary>
    public (int Iterations, int? DropAfter) Run(TimeSpan budget, double dropFraction, CancellationToken cancel = default)
    {
        if (budget <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(budget), budget, "the training budget must be positive");
        if (dropFraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(dropFraction), dropFraction, "must lie in (0, 1]");
        long start = _time.GetTimestamp();
        int done;
        using (var firstTimer = new CancellationTokenSource(budget * dropFraction, _time))
        using (var first = CancellationTokenSource.CreateLinkedTokenSource(cancel, firstTimer.Token))
            done = _createTrainer(_options).Run(resume: false, first.Token);
        int? dropAfter = null;
        if (done < _options.Iterations && !cancel.IsCancellationRequested && done > 0)
        {
            dropAfter = done;
            var left = budget - _time.GetElapsedTime(start);
            if (left > TimeSpan.Zero)
            {
                using var restTimer = new CancellationTokenSource(left, _time);
                using var rest = CancellationTokenSource.CreateLinkedTokenSource(cancel, restTimer.Token);
                done = _createTrainer(_options with { LearningRateSteps = [done] }).Run(resume: true, rest.Token);
            }
        }
        if (done > 0 && done < _options.Iterations)
            _createTrainer(_options with { Iterations = done, LearningRateSteps = dropAfter is int d ? [d] : [] }).Run(resume: true);
        return (done, dropAfter);
    }
}
