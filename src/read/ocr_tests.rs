//! Tests of `ocr.rs`.

use super::*;

#[test]
fn contrast_is_stretched_past_the_outer_hundredths_and_one_level_is_kept() {
    // Dark-gray text (60) on a pale-blue tint (225), a few pixels darker and lighter.
    let mut img = image::GrayImage::from_fn(100, 100, |_, y| image::Luma([if y < 20 { 60 } else { 225 }]));
    img.put_pixel(0, 99, image::Luma([10]));
    img.put_pixel(1, 99, image::Luma([250]));
    stretch_contrast(&mut img);
    assert_eq!(img.get_pixel(50, 10).0[0], 0);
    assert_eq!(img.get_pixel(50, 50).0[0], 255);
    let mut flat = image::GrayImage::from_pixel(10, 10, image::Luma([200]));
    stretch_contrast(&mut flat);
    assert!(flat.pixels().all(|p| p.0[0] == 200));
}

#[test]
fn the_second_pass_scales_narrow_pictures_further() {
    let mut png = std::io::Cursor::new(Vec::new());
    image::GrayImage::from_pixel(400, 100, image::Luma([128]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap_or_default();
    let png = png.into_inner();
    let first = prepare_gray(&png, Pass::First.min_width()).map(|g| g.dimensions());
    let second = prepare_gray(&png, Pass::Second.min_width()).map(|g| g.dimensions());
    assert_eq!(first, Ok((MIN_WIDTH, 150)));
    assert_eq!(second, Ok((SECOND_MIN_WIDTH, 200)));
    assert_eq!((Pass::First.psm(), Pass::Second.psm()), ("6", "4"));
}
