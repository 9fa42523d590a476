using CornerNet;
using CornerNet.Bench;

TorchRuntime.SetThreads(0);
string suite = args.Length > 0 ? args[0] : "corner-pool";
switch (suite)
{
    case "corner-pool":
        CornerPoolCandidates.Run();
        break;
    default:
        Console.Error.WriteLine($"unknown suite '{suite}' (known: corner-pool)");
        return 2;
}
return 0;
