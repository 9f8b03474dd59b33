using System.CommandLine;
using Sightline.Cli.Demo;

namespace Sightline.Cli.Commands;

/// <summary><c>sightline demo</c>: the planted-cue experiment end to end.</summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build(CliContext context)
    {
        var data = new Option<string>("--data") { Description = "Fashion-MNIST folder (IDX files, .gz or plain); the built-in shapes data set is used only when no Fashion-MNIST files are found there.", DefaultValueFactory = _ => "/usr/share/datasets/fashion-mnist", HelpName = "DIR" };
        var output = new Option<string>("--out") { Description = "Output folder: scores (CSV, Parquet), summaries (JSON), comparison, examples, models, report.", DefaultValueFactory = _ => "sightline-demo", HelpName = "DIR" };
        var correlation = new Option<double>("--correlation") { Description = "Share of the spurious model's training images whose square colour encodes the class.", DefaultValueFactory = _ => 1.0, HelpName = "r" };
        var samples = new Option<int>("--samples") { Description = "Test images explained and scored per model and method.", DefaultValueFactory = _ => 1000, HelpName = "n" };
        var trainSize = new Option<int>("--train-size") { Description = "Training images per model.", DefaultValueFactory = _ => 12000, HelpName = "n" };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 3, HelpName = "n" };
        var retrain = new Option<bool>("--retrain") { Description = "Train again even when cached weights match." };
        var seed = new Option<int>("--seed") { Description = "Seed of data, training, explanations and statistics.", DefaultValueFactory = _ => 0 };
        var command = new Command("demo", "Two models, one right for the right reason and one for a planted coloured square: train, explain, score, compare, report. Exit 0 when Sightline tells them apart.")
        {
            data, output, correlation, samples, trainSize, epochs, retrain, seed,
        };
        command.SetAction(parse =>
        {
            double r = parse.GetValue(correlation);
            if (!(r >= 0 && r <= 1)) throw new InputDataException($"--correlation {r.ToString(System.Globalization.CultureInfo.InvariantCulture)} must lie in [0, 1]."); // NaN included
            var options = new DemoOptions
            {
                DataDir = parse.GetValue(data)!,
                OutDir = parse.GetValue(output)!,
                Correlation = r,
                Samples = parse.GetValue(samples) > 0 ? parse.GetValue(samples) : throw new InputDataException("--samples must be positive."),
                TrainSize = parse.GetValue(trainSize) >= 100 ? parse.GetValue(trainSize) : throw new InputDataException("--train-size must be at least 100."),
                Epochs = parse.GetValue(epochs) > 0 ? parse.GetValue(epochs) : throw new InputDataException("--epochs must be positive."),
                Retrain = parse.GetValue(retrain),
                Seed = parse.GetValue(seed),
            };
            // The demo writes models, scores and a report into --out: never into (or over) the data it reads.
            var plan = new Sightline.IO.PathPlan().Input("--data", options.DataDir).OutputFolder("--out", options.OutDir);
            if (Directory.Exists(options.DataDir)) plan.Inputs("--data", Directory.EnumerateFiles(options.DataDir));
            plan.Check();
            return new DemoPipeline(options, context).Run();
        });
        return command;
    }
}
