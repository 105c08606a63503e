@{
    RootModule             = 'bin/HeatmapTools.dll'
    # The types the cmdlets and the engine share load first, into PowerShell's own context.
    RequiredAssemblies     = @('bin/HeatmapTools.Contracts.dll')
    ModuleVersion          = '0.1.0'
    GUID                   = '6f0d8a52-3c7e-4d2b-9a51-8e2c4b7d9f13'
    Author                 = 'HeatmapTools contributors'
    CompanyName            = 'HeatmapTools'
    Copyright              = '(c) HeatmapTools contributors. MIT License.'
    Description            = 'Class activation maps (CAM, Grad-CAM and family) for image classifiers, and patient patch-grid heatmaps for histopathology, as PowerShell cmdlets.'
    # The cmdlets are built for .NET 10, which PowerShell runs from 7.6 on.
    PowerShellVersion      = '7.6'
    CompatiblePSEditions   = @('Core')
    FormatsToProcess       = @('HeatmapTools.Format.ps1xml')
    FunctionsToExport      = @()
    CmdletsToExport        = @('Get-ClassPrediction', 'New-CamHeatmap', 'Get-CamLayer', 'New-PatientPatchGrid', 'Get-HeatmapToolsInfo', 'Measure-CamFaithfulness', 'Test-CamSanity', 'Get-SlideTile', 'New-SlideHeatmap', 'Measure-SlideAgreement', 'Get-SlideInfo', 'Compare-CamHeatmap', 'Export-HeatmapReport', 'Get-HeatmapRunRecord', 'ConvertTo-StainNormalized', 'Measure-StainRobustness', 'New-AttributionMap', 'Measure-Explanation')
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags       = @('CAM', 'GradCAM', 'Heatmap', 'TorchSharp', 'OpenCV', 'Histopathology')
            LicenseUri = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = '0.1.0: Get-ClassPrediction, New-CamHeatmap (11 pytorch-grad-cam methods, Guided Grad-CAM, aug/eigen smoothing; 74 torchvision architectures), Get-CamLayer, New-PatientPatchGrid, Measure-CamFaithfulness, Test-CamSanity, Get-HeatmapToolsInfo. Linux x64 (glibc) only.'
        }
    }
}
