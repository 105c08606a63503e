#Requires -Version 7.4
<#
.SYNOPSIS
Writes the module's MAML help (en-US/HeatmapTools.dll-Help.xml, beside the manifest, where PowerShell looks) from the text in module/help/*.psd1 and the
cmdlets' own metadata (syntax, types, mandatory, position, pipeline binding), so the help never drifts from the code.
Runs in its own process because it imports the freshly built module.
#>
param([Parameter(Mandatory)][string] $ModuleDirectory, [Parameter(Mandatory)][string] $HelpSource)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $ModuleDirectory 'HeatmapTools.psd1')

# The CAM methods are the engine's registry, not a list kept here: {CamMethods} in the help text becomes what -Method's
# completion offers.
$line = 'New-CamHeatmap -Method '
$camMethods = ((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText) -join ', '
if (-not $camMethods) { throw 'New-CamHeatmap -Method completion offered no methods.' }

$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$target = Join-Path $ModuleDirectory 'en-US/HeatmapTools.dll-Help.xml'
New-Item -ItemType Directory -Force (Split-Path $target) | Out-Null
$w = [System.Xml.XmlWriter]::Create($target, $settings)
$maml = 'http://schemas.microsoft.com/maml/2004/10'
$cmd = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Write-Paras([string] $Text) {
    $w.WriteStartElement('maml', 'description', $maml)
    foreach ($para in ($Text -split "`r?`n`r?`n")) { $w.WriteElementString('maml', 'para', $maml, $para.Trim()) }
    $w.WriteEndElement()
}

function Get-PipelineText($attr) {
    $kinds = @()
    if ($attr.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($attr.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($kinds) { "True ($($kinds -join ', '))" } else { 'False' }
}

# Nullable<int> shows as Int32 (what the user types), arrays as String[].
function Get-TypeText([type] $type) {
    $inner = [Nullable]::GetUnderlyingType($type)
    if ($inner) { $type = $inner }
    $type.Name
}

# The value a parameter has when not given, read from a fresh instance of the cmdlet: the help never drifts from the code.
function Get-DefaultText($defaults, $param) {
    if ($param.ParameterType -eq [switch]) { return 'False' }
    $property = $defaults.GetType().GetProperty($param.Name)
    $value = if ($property) { $property.GetValue($defaults) }
    if ($null -eq $value) { return 'None' }
    if ($value -is [System.Collections.IEnumerable] -and $value -isnot [string]) { return (@($value) -join ', ') }
    if ($value -is [double]) { return $value.ToString([cultureinfo]::InvariantCulture) }
    "$value"
}

function Write-Parameter($param, $attr, [string] $description, [string] $default) {
    $w.WriteStartElement('command', 'parameter', $cmd)
    $w.WriteAttributeString('required', "$($attr.Mandatory)".ToLower())
    $w.WriteAttributeString('globbing', "$([bool]($param.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }))".ToLower())
    $w.WriteAttributeString('pipelineInput', (Get-PipelineText $attr))
    $w.WriteAttributeString('position', $(if ($attr.Position -ge 0) { "$($attr.Position)" } else { 'named' }))
    $w.WriteElementString('maml', 'name', $maml, $param.Name)
    Write-Paras $description
    if ($param.ParameterType -ne [switch]) {
        $w.WriteStartElement('command', 'parameterValue', $cmd)
        $w.WriteAttributeString('required', 'true')
        $w.WriteString((Get-TypeText $param.ParameterType))
        $w.WriteEndElement()
        $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, (Get-TypeText $param.ParameterType)); $w.WriteEndElement()
    }
    if ($default) { $w.WriteElementString('dev', 'defaultValue', $dev, $default) }
    $w.WriteEndElement()
}

$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
foreach ($file in Get-ChildItem $HelpSource -Filter *.psd1 | Sort-Object Name) {
    $help = Import-PowerShellDataFile $file.FullName
    # Parameters a cmdlet shares with another (ParametersFrom) or with every cmdlet that makes maps (shared/*.psd1) are
    # written once: a cmdlet's own text wins.
    $inherited = @(if ($help.ParametersFrom) { (Import-PowerShellDataFile (Join-Path $HelpSource "$($help.ParametersFrom).psd1")).Parameters })
    $inherited += @(Get-ChildItem (Join-Path $HelpSource 'shared') -Filter *.psd1 -ErrorAction SilentlyContinue | ForEach-Object { (Import-PowerShellDataFile $_.FullName).Parameters })
    foreach ($table in $inherited) { foreach ($key in @($table.Keys)) { if (-not $help.Parameters.ContainsKey($key)) { $help.Parameters[$key] = $table[$key] } } }
    foreach ($key in @($help.Parameters.Keys)) { $help.Parameters[$key] = $help.Parameters[$key].Replace('{CamMethods}', $camMethods) }
    $help.Description = $help.Description.Replace('{CamMethods}', $camMethods)
    $command = Get-Command $help.Name -Module HeatmapTools
    $params = $command.Parameters.Values | Where-Object Name -NotIn $common
    foreach ($p in $params) { if (-not $help.Parameters.ContainsKey($p.Name)) { throw "$($help.Name): parameter -$($p.Name) has no help text in $($file.Name)." } }

    $w.WriteStartElement('command', 'command', $cmd)
    $w.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $w.WriteStartElement('command', 'details', $cmd)
    $w.WriteElementString('command', 'name', $cmd, $help.Name)
    $w.WriteElementString('command', 'verb', $cmd, $command.Verb)
    $w.WriteElementString('command', 'noun', $cmd, $command.Noun)
    Write-Paras $help.Synopsis
    $w.WriteEndElement()
    Write-Paras $help.Description

    $w.WriteStartElement('command', 'syntax', $cmd)
    foreach ($set in $command.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $cmd)
        $w.WriteElementString('maml', 'name', $maml, $help.Name)
        foreach ($sp in $set.Parameters | Where-Object Name -NotIn $common) {
            $param = $command.Parameters[$sp.Name]
            $attr = [pscustomobject]@{ Mandatory = $sp.IsMandatory; Position = $sp.Position; ValueFromPipeline = $sp.ValueFromPipeline; ValueFromPipelineByPropertyName = $sp.ValueFromPipelineByPropertyName }
            Write-Parameter $param $attr $help.Parameters[$sp.Name]
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $cmd)
    $defaults = [Activator]::CreateInstance($command.ImplementingType)
    foreach ($param in $params) {
        $attr = $param.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] } | Select-Object -First 1
        Write-Parameter $param $attr $help.Parameters[$param.Name] (Get-DefaultText $defaults $param)
    }
    if ($defaults -is [IDisposable]) { $defaults.Dispose() }
    $w.WriteEndElement()

    foreach ($kind in @(@('inputTypes', 'inputType', $help.Inputs), @('returnValues', 'returnValue', $help.Outputs))) {
        $w.WriteStartElement('command', $kind[0], $cmd)
        foreach ($type in $kind[2]) {
            $w.WriteStartElement('command', $kind[1], $cmd)
            $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $type); $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'examples', $cmd)
    $n = 0
    foreach ($example in $help.Examples) {
        $n++
        $w.WriteStartElement('command', 'example', $cmd)
        $w.WriteElementString('maml', 'title', $maml, "-------------------------- Example $n --------------------------")
        $w.WriteElementString('dev', 'code', $dev, $example.Code)
        $w.WriteStartElement('dev', 'remarks', $dev); $w.WriteElementString('maml', 'para', $maml, $example.Remarks); $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'relatedLinks', $cmd)
    foreach ($link in $help.Links) {
        $w.WriteStartElement('maml', 'navigationLink', $maml); $w.WriteElementString('maml', 'linkText', $maml, $link); $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()
Write-Host "Help written to $target"
