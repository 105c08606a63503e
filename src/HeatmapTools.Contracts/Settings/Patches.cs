namespace HeatmapTools;

/// <summary>Whether patch coordinates count from 1 (the Kaggle IDC names) or from 0.</summary>
public enum GridOrigin { OneBased, ZeroBased }

/// <summary>Where the probability colours end: 0..1, each patient's own range, or the whole cohort's.</summary>
public enum ProbabilityScale { Fixed, Patient, Cohort }

/// <summary>Patient: every patch's map on the patient's scale (a weak patch stays cold); Patch: each map scaled alone, as New-CamHeatmap draws it.</summary>
public enum CamScale { Patient, Patch }

/// <summary>How patch images written for other tools are encoded.</summary>
public enum PatchImageFormat { Png, Jpg }
