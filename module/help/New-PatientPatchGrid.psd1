@{
    Name        = 'New-PatientPatchGrid'
    Synopsis    = 'Rebuilds each patient''s tissue from histopathology patches and paints labels, probabilities and errors over it.'
    Description = @'
New-PatientPatchGrid takes patch files named in the Kaggle breast-cancer IDC layout (<patient>_idx5_x<X>_y<Y>_class<C>.png, where X and Y are the 1-based top-left pixel of the patch on a 50-pixel grid), a table of patients, coordinates, labels and probabilities (-CsvPath, or Import-Csv rows from the pipeline), or both (joined on patient, x and y).

For each patient it writes, into -OutputPath: the tissue rebuilt by pasting every patch at (x-1, y-1) on a white canvas (patient_<id>_tissue.png); the label overlay, class 1 in red and class 0 in pink as in the IDC notebooks (_labels.png); where probabilities exist, a probability heatmap with a colour bar showing its range (_probability.png); and with -Confusion a TP/FP/FN/TN map at -Threshold (_confusion.png). Places with no data are grey in the probability and confusion maps, so they never look like a score of 0. Without patch images each patch is drawn as a -CellSize square (10 pixels by default), like the notebooks' scatter plots but readable.

-Montage also writes a rows x columns grid of patients (montage.png), each panel showing the first -Kind asked for that the patient has (labels, probability, confusion, cam, tissue) and titled with the patient id, patch count and positive fraction in the system's fonts. Patients are chosen by -PatientId, -First, or -Random with -Seed.

Patients are drawn in parallel (-ThrottleLimit workers, one canvas each) but reported in selection order (by patient id, or in the order -PatientId names them), each as soon as it and those before it are done, so output piped to Export-Csv is the same from run to run.

Data problems are reported and never stop the run: duplicate patches (the public download holds every patient twice; the first copy is kept), patches of the wrong size (pasted and clipped to their cell), coordinates off the grid, a folder class that disagrees with the file name, unreadable images (non-terminating error PatchUnreadable) and CSV rows with missing or non-numeric fields (non-terminating error CsvRowInvalid with the line number). Each patient's result object counts its problems by ErrorId.

Each patient's result object has its patch and positive counts, the canvas size, the files written, its problems by ErrorId (bad table rows that name the patient included), the range of its probabilities (ProbabilityMin, ProbabilityMax), the range its colour bar spans (ScaleMin, ScaleMax, set by -Scale) and, with -Confusion, the TP/FP/FN/TN counts.

Patients are drawn in parallel (-ThrottleLimit, all cores by default) and each worker holds one patient canvas at a time; -MaxSize caps a canvas's longest side. Files are written atomically and never overwritten without -Force.
'@
    Inputs      = @('System.IO.FileInfo', 'System.IO.DirectoryInfo', 'System.String', 'HeatmapTools.ClassPrediction', 'HeatmapTools.CamHeatmap', 'System.Management.Automation.PSObject')
    Outputs     = @('HeatmapTools.PatientGrid', 'HeatmapTools.PatientMontage')
    Parameters  = @{
        PositiveClass = 'For Get-ClassPrediction results (piped in, or their Export-Csv given to -CsvPath or piped through Import-Csv): the class whose probability the heatmap shows, by index or label. A two-class head defaults to class 1; any other head needs it (PositiveClassRequired).'
        Shard = 'This node''s share of the selected patients, k/N or Auto (a Slurm array task''s or Kubernetes indexed Job''s place among its tasks: the task in place p of N gets what -Shard (p+1)/N gets), by patient id (the union over all shards is the unsharded selection). Not with a montage (ShardConflict): draw the montage afterwards in one run without -Shard.'
        ShardCount = 'With -Shard Auto in a Kubernetes indexed Job: the number of tasks (the Job''s completions), when the container does not set HEATMAPTOOLS_SHARD_COUNT. A Slurm array says its own count.'
        InputObject   = 'Patch files or folders (Get-ChildItem output or paths), or table rows (Import-Csv output) with patient_id, x, y and optionally target, probability, path.'
        Path          = 'Patch files or dataset folders (searched recursively). Wildcards are expanded.'
        LiteralPath   = 'Patch files or dataset folders, taken exactly as written.'
        CsvPath       = 'CSV file(s) with columns patient_id, x, y and optionally target, probability and path (relative paths are relative to the CSV); or Get-ClassPrediction''s Export-Csv of patch files (columns Path and ClassProbabilities, no patient column), read back to the same images as the piped predictions.'
        NamePattern   = 'A regular expression with named groups patient, x, y and optionally target (or class) and probability, for file names that do not follow the IDC layout.'
        ColumnMap     = 'Maps the fields to your column names, for example @{ patient_id = ''case''; probability = ''p_tumour'' }.'
        Delimiter     = 'CSV delimiter. Default: detected.'
        Culture       = 'Culture for numbers in the CSV (for example de-DE for decimal commas). Default: invariant. A name the system does not know is refused (CultureUnknown) rather than guessed.'
        Origin        = 'OneBased (default, as IDC file names) or ZeroBased coordinates.'
        PatchSize     = 'Grid spacing and expected patch size in pixels. Default 50.'
        OutputPath    = 'Folder for the images. Default ./patient-grids.'
        Colors        = 'Two colours for class 0 and class 1: names (pink, red, green, ...) or #RRGGBB. Default pink, red.'
        Colormap      = 'OpenCV colormap for probabilities. Default Jet.'
        Alpha         = 'Opacity of label and probability colours over the tissue. Default 0.4.'
        Scale         = 'Probability colour range: Fixed (0 to 1, default), Patient (each patient''s own range) or Cohort (the range over every patient read, drawn or not, so a patient keeps its colours whichever others are selected).'
        Confusion     = 'Also draw true/false positives/negatives where both labels and probabilities exist.'
        Kind          = 'Which images to write per patient (kinds are found by name; tab completion lists them): Tissue, Labels, Probability, Confusion (Confusion implies -Confusion), Cam (New-CamHeatmap results of the patches piped in: each patch''s map coloured and blended over its tissue at its place, <patient>_cam.png). Default: all that apply. Patches are not read at all when a patient needs none of them.'
        Threshold     = 'Probability at or above which a patch counts as predicted positive. Default 0.5.'
        CamScale = 'How the CAM mosaic (-Kind Cam) is coloured: Patient (default) puts every patch''s map on one scale across the patient (from each result''s MapMin and MapMax), so a patch whose activation is faint stays cold; Patch scales each map alone, as New-CamHeatmap draws it.'
        SkipExisting = 'For nightly reruns: patients whose images all exist are passed over quietly (listed with -Verbose, counted in a closing information record, no result object) instead of being OutputExists errors, and a missing image of a patient''s set is drawn and written beside the existing ones.'
        CellSize = 'Pixels per grid cell for patients without patch images (a CSV or Import-Csv rows alone): 10 by default, so a 20 x 15 grid is a 200 x 150 map. Patients with images are drawn at their patches'' own size.'
        MaxSize       = 'Longest side of a patient image in pixels (0: full resolution).'
        Montage       = 'Also write a montage of patients (montage.png, or -MontagePath).'
        MontageOnly   = 'Write only the montage, not the per-patient images. Only the montage''s patients (the first Rows x Columns of those chosen) are read, drawn and reported.'
        Rows          = 'Montage rows. Default 5.'
        Columns       = 'Montage columns. Default 3.'
        PanelSize     = 'Montage panel size in pixels. Default 320.'
        MontagePath   = 'Where to write the montage: a .png or .jpg file, or a folder (one that exists, or a path without extension) to write montage.png in.'
        NameTemplate  = 'Name of each patient image under -OutputPath, without extension: {patient} is the patient id and {kind} is tissue, labels, probability or confusion; sub-folders are allowed, e.g. ''{patient}/{kind}'' for a folder per patient. Both placeholders are required. Default patient_{patient}_{kind}.'
        PatientId     = 'Only these patients, in this order. Wildcards select every matching id (102*), in natural order; an id or pattern matching no patient is an error (PatientNotFound).'
        First         = 'Only the first N patients (by id), or N random ones with -Random.'
        Random        = 'Choose patients at random (with -First, or Rows x Columns for a montage).'
        Seed          = 'Seed for -Random, for a reproducible choice.'
        ThrottleLimit = 'How many patients are drawn at once. Default: the number of cores.'
        ImageFormat   = 'Png (lossless, default) or Jpg (lossy, smaller files). Both write a patient image in about the same time; encoding the images is a large part of a patient''s cost.'
        Force         = 'Overwrite existing images.'
    }
    Examples    = @(
        @{ Code = "`$patches = Get-ChildItem ./IDC_regular_ps50_idx5/10253 -Recurse -Filter *.png`n@(`$patches) + @(`$patches | New-CamHeatmap -Model resnet18 -NumClasses 2 -WeightsPath idc.pth -NoOverlay) | New-PatientPatchGrid -Kind Tissue, Cam"; Remarks = 'Where the classifier looks across a whole patient: each patch''s Grad-CAM map painted at its place, beside the tissue.' }
        @{ Code = "Get-ChildItem ./IDC_regular_ps50_idx5 -Recurse -Filter *.png | Get-ClassPrediction -Model resnet18 -NumClasses 2 -WeightsPath idc.pth | New-PatientPatchGrid -Confusion -OutputPath ./grids"; Remarks = 'A patch classifier feeds the patient heatmaps: patient, position and true class come from each file name, the probability is the classifier''s P(class 1); probability and confusion maps per patient.' }
        @{ Code = "Get-ChildItem ./IDC_regular_ps50_idx5 -Recurse -Filter *.png | Get-ClassPrediction -Model resnet18 -NumClasses 2 -WeightsPath idc.pth -Labels benign, idc | Export-Csv ./idc-predictions.csv`nNew-PatientPatchGrid -CsvPath ./idc-predictions.csv -PositiveClass idc -Kind Probability -OutputPath ./grids"; Remarks = 'Classify once, draw later: the predictions'' CSV keeps every class''s probability (ClassProbabilities) and draws the same images as the piped predictions.' }
        @{ Code = "Get-ChildItem ./IDC_regular_ps50_idx5 -Recurse -Filter *.png | New-PatientPatchGrid -Montage -MontageOnly -Random -Seed 42"; Remarks = 'The IDC notebooks'' 5x3 grid of random patients: each panel shows a patient''s patches coloured by class (pink 0, red 1), titled with its id, patch count and positive fraction.' }
        @{ Code = "New-PatientPatchGrid -Path ./IDC_regular_ps50_idx5 -CsvPath ./predictions.csv -PatientId 10253 -Confusion -OutputPath ./patient-10253"; Remarks = 'Rebuilds patient 10253''s tissue with its label overlay, the model''s probability heatmap from predictions.csv and a TP/FP/FN/TN map.' }
        @{ Code = "Import-Csv ./predictions.csv | Where-Object probability -gt 0.2 | New-PatientPatchGrid -Scale Patient -OutputPath ./maps"; Remarks = 'Draws label and probability maps from table rows alone (no images: 10 x 10 pixels per patch), each patient on its own colour range.' }
        @{ Code = "New-PatientPatchGrid -Path ./IDC_regular_ps50_idx5 -CsvPath ./predictions.csv -PatientId 102* -Kind Probability -MaxSize 2000 -OutputPath ./heatmaps"; Remarks = 'Only the probability heatmaps, for every patient whose id starts with 102, each canvas at most 2000 pixels on its longer side.' }
    )
    Links       = @('New-CamHeatmap')
}
