@{
    # Help for a detector's settings, which every cmdlet that loads a model takes (Build-Help.ps1 merges them in).
    Parameters = @{
        ScoreThreshold = 'With a detector (an ONNX graph whose output is (4 + classes) x anchors, as YOLOv8 exports it, or anchors x (5 + classes), as YOLOv5 does): a box counts when its best class''s score is above this. Default 0.25 (YOLO''s). Given for another model, the command stops (TargetNotApplicable).'
        IouThreshold   = 'With a detector: non-maximum suppression per class drops a box that overlaps a better-scored box of its class by more than this IoU (as torchvision''s batched_nms). Default 0.45.'
        MaxDetections  = 'With a detector: at most this many detections per image, the best kept. Default 100.'
        Box            = 'With a detector: the boxes to explain instead of its own detections, four numbers a box (x1, y1, x2, y2: top-left and bottom-right corners in the photo''s pixels), each box''s class from -ClassIndex (one class for every box, or one per box). A map scores each box as pytorch-grad-cam''s FasterRCNNBoxScoreTarget does: the output box that overlaps it most, if the IoU is above 0.5 and its class is the box''s, adds its IoU and its score.'
        RenormalizeInBoxes = 'With a detector: each map renormalised inside the boxes it explains, as pytorch-grad-cam''s Faster R-CNN tutorial shows detections (renormalize_cam_in_bounding_boxes): each box''s part scaled to 0..1 on its own, zero outside every box, the boxes'' maximum where they overlap. Every box then shows where inside it the evidence lies, however weak beside the others. (The tutorial''s own call scales each row of a box on its own with pytorch-grad-cam 1.5.5; this is the box-wise scaling it means.) Refused for other models (TargetNotApplicable).'
        Detections     = 'With a detector: boxes piped on by name from Get-ClassPrediction (its Detections) or from a detector''s map, explained instead of detecting again; objects with ClassIndex and Box (X1, Y1, X2, Y2) read back from JSON bind too. An image that comes with no boxes is refused (NothingDetected).'
    }
}
