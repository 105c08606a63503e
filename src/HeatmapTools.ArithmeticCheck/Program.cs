return HeatmapTools.Engine.Arithmetic.CheckChild.Main(args);
