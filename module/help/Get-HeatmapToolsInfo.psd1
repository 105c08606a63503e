@{
    Name        = 'Get-HeatmapToolsInfo'
    Synopsis    = 'Shows that the module''s native stacks work: the torch and OpenCV versions it loaded, and from where.'
    Description = 'Get-HeatmapToolsInfo runs a tiny torch computation and an OpenCV operation and reports their versions, the load context the module''s assemblies live in (HeatmapTools, apart from PowerShell''s own), the folder its native libraries load from, the model search path (HEATMAPTOOLS_MODEL_PATH), the weights cache and how many models this session holds. Run it first when something does not load.'
    Inputs      = @()
    Outputs     = @('System.Management.Automation.PSObject')
    Parameters  = @{}
    Examples    = @(
        @{ Code = 'Get-HeatmapToolsInfo'; Remarks = 'Prints the probe result (torch and OpenCV versions), load context, native folder, model path and cache.' }
        @{ Code = '(Get-HeatmapToolsInfo).NativeDirectory | Get-ChildItem'; Remarks = 'Lists the native libraries the module ships for this platform.' }
    )
    Links       = @('Get-ClassPrediction')
}
