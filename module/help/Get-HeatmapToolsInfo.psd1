@{
    Name        = 'Get-HeatmapToolsInfo'
    Synopsis    = 'Shows that the module''s native stacks work: the torch and OpenCV versions it loaded, and from where.'
    Description = 'Get-HeatmapToolsInfo runs a tiny torch computation and an OpenCV operation and reports their versions, the load context the module''s assemblies live in (HeatmapTools, apart from PowerShell''s own), the folder its native libraries load from, the model search path (HEATMAPTOOLS_MODEL_PATH), the weights cache and how many models this session holds. Run it first when something does not load. It also shows the process-wide native settings the module applies before its first model or image: NativeHeap is ReuseLargeBlocks when glibc keeps freed multi-megabyte blocks for reuse (libtorch''s tensors would otherwise be page-faulted in afresh every batch; the memory is handed back once no HeatmapTools cmdlet has run for two seconds, so a loop calling a cmdlet per file keeps it between calls; set HEATMAPTOOLS_NATIVE_HEAP=default before importing to leave the allocator alone), TorchThreads is one libtorch thread per core, and OpenCvThreads is 1 because the module spreads images and patients over the cores itself. Cpu, TorchBackend, TorchBackendSource, TorchBackendReason and ArithmeticCandidates show the arithmetic check: which libtorch configuration computes on this processor, why, and each candidate''s largest error against float64, time or failure (about_HeatmapTools, Arithmetic check). ImagesDecoded and ForwardPasses count the images decoded and the batches that entered a network at its input since the module loaded: what a pipeline cost.'
    Inputs      = @()
    Outputs     = @('System.Management.Automation.PSObject')
    Parameters  = @{}
    Examples    = @(
        @{ Code = 'Get-HeatmapToolsInfo'; Remarks = 'Prints the probe result (torch and OpenCV versions), load context, native folder, model path and cache.' }
        @{ Code = '(Get-HeatmapToolsInfo).ArithmeticCandidates | Format-Table Backend, Right, Error, WorstCase, Milliseconds, Failure'; Remarks = 'Shows what each libtorch configuration measured on this processor when the module checked it.' }
        @{ Code = '(Get-HeatmapToolsInfo).NativeDirectory | Get-ChildItem'; Remarks = 'Lists the native libraries the module ships for this platform.' }
    )
    Links       = @('Get-ClassPrediction')
}
