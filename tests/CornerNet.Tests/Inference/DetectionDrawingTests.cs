using CornerNet.Data;
using CornerNet.Inference;
using SkiaSharp;

namespace CornerNet.Tests.Inference;

/// <summary>Drawn detections on small images: enlarged to stay readable, labels inside the image and never over one another.</summary>
public class DetectionDrawingTests
{
    [Fact]
    public void ASmallImageIsEnlargedByAWholeFactorSoLabelsStayReadable()
    {
        var detection = new DetectedObject(0, 1, "circle", 0.9f, 10, 10, 30, 30);
        using var small = DetectionDrawing.Draw(new BgrImage(64, 48), [detection]);
        Assert.Equal((64 * 6, 48 * 6), (small.Width, small.Height));
        using var large = DetectionDrawing.Draw(new BgrImage(300, 400), [detection]);
        Assert.Equal((300, 400), (large.Width, large.Height));
    }

    [Fact]
    public void LabelsOfBoxesAtTheSameCornerAreInsideTheImageAndDoNotOverlap()
    {
        var placed = new List<SKRect>();
        // Ten boxes at the image's top-left corner: "above the box" is outside, and every label wants the same place.
        for (int i = 0; i < 10; i++)
            if (DetectionDrawing.LabelPlace(SKRect.Create(0, 0, 50, 50), width: 80, height: 14, imageWidth: 256, imageHeight: 256, placed) is SKRect place)
            {
                Assert.True(place.Left >= 0 && place.Top >= 0 && place.Right <= 256 && place.Bottom <= 256, $"label {place} leaves the image");
                Assert.DoesNotContain(placed, p => p.IntersectsWith(place));
                placed.Add(place);
            }
        Assert.Equal(10, placed.Count);
        // A label at the right edge is moved left into the image rather than clipped.
        var right = DetectionDrawing.LabelPlace(SKRect.Create(240, 100, 16, 16), 80, 14, 256, 256, []);
        Assert.Equal(256 - 80, right!.Value.Left);
    }
}
